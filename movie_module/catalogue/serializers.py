"""The movie page's wire shape (../shared/API.md, Movies)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from movie_module.serializers import MovieSummarySerializer, movie_summary
from movie_module.tracking.serializers import MeSerializer


class MoviePageSerializer(MovieSummarySerializer):
    directors = serializers.ListField(child=serializers.CharField())
    cast = serializers.ListField(child=serializers.CharField())
    watchlist_count = serializers.IntegerField(read_only=True)
    me = serializers.SerializerMethodField()

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

    @extend_schema_field(MeSerializer(allow_null=True))
    def get_me(self, movie):
        me = self.context.get("me")
        return None if me is None else MeSerializer(me, context=self.context).data

    def to_representation(self, movie):
        return {
            **movie_summary(movie),
            "plot": movie.plot,
            "runtime_minutes": movie.runtime_minutes,
            "directors": movie.directors,
            "cast": movie.cast,
            "watchlist_count": movie.watchlist_count,
            "me": self.get_me(movie),
        }
