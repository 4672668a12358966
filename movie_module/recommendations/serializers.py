"""The wire shapes of recommendations and similar movies (../shared/API.md)."""

from rest_framework import serializers

from movie_module.serializers import MovieSummarySerializer, StarRatingField, movie_summary


class RecommendationQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)


class RecommendedMovieSerializer(serializers.Serializer):
    title = serializers.CharField()
    score = serializers.FloatField()
    movie = MovieSummarySerializer(allow_null=True)

    def to_representation(self, recommended):
        pair, movie = recommended
        return {
            "title": pair.title,
            "score": pair.score,
            "movie": None if movie is None else movie_summary(movie),
        }


class SeedReviewSerializer(serializers.Serializer):
    imdb_id = serializers.CharField(source="movie.imdb_id")
    title = serializers.CharField(source="movie.title")
    rating = StarRatingField()


class RecommendationsSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=["similarity", "popular"])
    based_on = SeedReviewSerializer(many=True)
    results = RecommendedMovieSerializer(many=True)


class SimilarMoviesSerializer(serializers.Serializer):
    results = RecommendedMovieSerializer(many=True)
