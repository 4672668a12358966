"""The wire shapes of recommendations and similar movies (../shared/API.md)."""

from rest_framework import serializers

from api.shapes import FastOutput
from movie_module.serializers import MovieSummarySerializer, StarRatingField


class RecommendationQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)


# Shows a recommended movie: {title, score, movie (a summary, or None)}.
class RecommendedMovieSerializer(FastOutput, serializers.Serializer):
    title = serializers.CharField()
    score = serializers.FloatField()
    movie = MovieSummarySerializer(allow_null=True)


# Shows a review or a diary entry, as recommendations.selectors reads it (a row).
class SeedReviewSerializer(FastOutput, serializers.Serializer):
    imdb_id = serializers.CharField(source="movie.imdb_id")
    title = serializers.CharField(source="movie.title")
    rating = StarRatingField()


# Shows {"source", "based_on": [seed row], "results": [RecommendedMovie]} (the schema; the
# view shows the seeds with compiled_row_output).
class RecommendationsSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=["similarity", "popular"])
    based_on = SeedReviewSerializer(many=True)
    results = RecommendedMovieSerializer(many=True)


# Shows {"results": [RecommendedMovie]}.
class SimilarMoviesSerializer(serializers.Serializer):
    results = RecommendedMovieSerializer(many=True)
