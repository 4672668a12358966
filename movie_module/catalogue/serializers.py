"""The movie page's wire shape (../shared/API.md, Movies)."""

from rest_framework import serializers

from movie_module.serializers import MovieSummarySerializer
from movie_module.tracking.serializers import MeSerializer


# `me` is the caller's relation to the movie: catalogue.api writes it into the page shared
# by everyone, which is rendered with `me` null.
class MoviePageSerializer(MovieSummarySerializer):
    directors = serializers.ListField(child=serializers.CharField())
    cast = serializers.ListField(child=serializers.CharField())
    watchlist_count = serializers.IntegerField(read_only=True)
    me = MeSerializer(allow_null=True, read_only=True)

    class Meta(MovieSummarySerializer.Meta):
        fields = [
            *MovieSummarySerializer.Meta.fields,
            "plot",
            "runtime_minutes",
            "directors",
            "cast",
            "watchlist_count",
            "me",
        ]
        read_only_fields = fields


class GenreSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    movie_count = serializers.IntegerField(read_only=True)


class GenreListSerializer(serializers.Serializer):
    results = GenreSerializer(many=True, read_only=True)
