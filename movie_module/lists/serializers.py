"""The wire shapes of the Lists section of ../shared/API.md."""

from rest_framework import serializers

from api.serializers import ApiModelSerializer
from api.shapes import FastOutput
from movie_module.models import MovieList, MovieListItem
from movie_module.serializers import ImdbIdField, MovieSummarySerializer, UserReferenceSerializer

# A list holds at most this many movies: its page shows them all, and a reorder names them all.
MAX_LIST_ITEMS = 1000


class MovieListSerializer(FastOutput, ApiModelSerializer):
    owner = UserReferenceSerializer(read_only=True)
    # An annotation: selectors.visible_lists counts it in the reading query.
    item_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = MovieList
        fields = ["id", "name", "description", "public", "owner", "item_count", "created_at", "updated_at"]
        read_only_fields = fields


class MovieListItemSerializer(FastOutput, ApiModelSerializer):
    movie = MovieSummarySerializer(read_only=True)

    class Meta:
        model = MovieListItem
        fields = ["movie", "position", "note"]
        read_only_fields = fields


class MovieListDetailSerializer(MovieListSerializer):
    # `shown_items`: selectors.list_items, set by the view, by position.
    items = MovieListItemSerializer(many=True, read_only=True, source="shown_items")

    class Meta(MovieListSerializer.Meta):
        fields = [*MovieListSerializer.Meta.fields, "items"]
        read_only_fields = fields


class MovieListUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    public = serializers.BooleanField(required=False)


class MovieListCreateSerializer(MovieListUpdateSerializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")
    public = serializers.BooleanField(required=False, default=True)


class MovieListItemAddSerializer(serializers.Serializer):
    imdb_id = ImdbIdField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ImdbIdListField(serializers.ListField):
    """A list of IMDb ids, its errors one list of messages, as every 400 of ../shared/API.md
    (DRF's ListField would answer an object keyed by the wrong entries' positions)."""

    def __init__(self, **kwargs):
        super().__init__(child=ImdbIdField(), **kwargs)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            if isinstance(error.detail, dict):
                raise serializers.ValidationError(
                    ["Each entry is an IMDb id: tt followed by 7 or 8 digits."]
                ) from None
            raise


class MovieListOrderSerializer(serializers.Serializer):
    imdb_ids = ImdbIdListField(allow_empty=True, max_length=MAX_LIST_ITEMS)
