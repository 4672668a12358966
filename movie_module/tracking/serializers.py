"""The wire shapes of the Watchlist and Reviews sections of ../shared/API.md."""

from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

from api.serializers import ApiModelSerializer, UtcDateTimeField
from api.shapes import FastOutput
from movie_module.models import (
    EARLIEST_WATCHED_AT,
    Review,
    WatchlistItem,
)
from movie_module.serializers import (
    ImdbIdField,
    MovieReferenceSerializer,
    MovieSummarySerializer,
    StarRatingField,
    UserReferenceSerializer,
)


class ReviewSerializer(FastOutput, ApiModelSerializer):
    movie = MovieReferenceSerializer(read_only=True)
    user = UserReferenceSerializer(read_only=True)
    rating = StarRatingField()
    # Annotations: selectors.with_likes sets them on every review it reads.
    like_count = serializers.IntegerField(read_only=True)
    liked_by_me = serializers.BooleanField(read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "movie",
            "user",
            "rating",
            "body",
            "contains_spoilers",
            "created_at",
            "updated_at",
            "like_count",
            "liked_by_me",
        ]
        read_only_fields = ["id", "movie", "user", "created_at", "updated_at", "like_count", "liked_by_me"]


# A review's likes after the caller's like: the part of a Review that changed.
class ReviewLikesSerializer(FastOutput, serializers.Serializer):
    like_count = serializers.IntegerField()
    liked_by_me = serializers.BooleanField()


class ReviewCreateSerializer(serializers.Serializer):
    imdb_id = ImdbIdField()
    rating = StarRatingField()
    body = serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")
    contains_spoilers = serializers.BooleanField(required=False, default=False)


class ReviewUpdateSerializer(serializers.Serializer):
    rating = StarRatingField(required=False)
    body = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    contains_spoilers = serializers.BooleanField(required=False)


# Shows a tracking.selectors.MovieForUser.
class MeSerializer(FastOutput, serializers.Serializer):
    in_watchlist = serializers.BooleanField()
    watched = serializers.BooleanField()
    watchlist_id = serializers.IntegerField(allow_null=True)
    review = ReviewSerializer(allow_null=True)


class WatchlistItemSerializer(FastOutput, ApiModelSerializer):
    movie = MovieSummarySerializer(read_only=True)

    class Meta:
        model = WatchlistItem
        fields = ["id", "movie", "added_at", "watched", "watched_at"]
        read_only_fields = fields


class WatchlistAddSerializer(serializers.Serializer):
    imdb_id = ImdbIdField()


class WatchlistUpdateSerializer(serializers.Serializer):
    watched = serializers.BooleanField()
    watched_at = UtcDateTimeField(required=False, allow_null=True)

    def validate(self, attrs):
        watched_at = attrs.get("watched_at")
        if watched_at is not None:
            if not attrs["watched"]:
                raise serializers.ValidationError(
                    {"watched_at": ["Only a watched movie has a time it was watched."]}
                )
            if watched_at > timezone.now() + timezone.timedelta(minutes=5):
                raise serializers.ValidationError({"watched_at": ["This time is in the future."]})
            if watched_at < EARLIEST_WATCHED_AT:
                raise serializers.ValidationError(
                    {"watched_at": ["This time is before the first films: it must be in 1870 or later."]}
                )
        return attrs


class WatchlistUpdateSchema(OpenApiSerializerExtension):
    """The PATCH body requires `watched`: the schema must not make every field optional.

    For a PATCH, drf-spectacular maps a partial copy of the serializer, which lists no
    required field. A serializer extension's stock `map_serializer` maps `target_class`
    itself, afresh and not partial, so `watched` stays required, as the view enforces
    (it validates without `partial`). tests/test_library_internals.py pins the outcome.
    """

    target_class = WatchlistUpdateSerializer
