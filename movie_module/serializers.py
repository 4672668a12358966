"""The wire shapes of ../shared/API.md's Movies, Watchlist and Reviews sections."""

from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import EARLIEST_WATCHED_AT, IMDB_ID_PATTERN, RATING_VALUES, Movie, Review, WatchlistItem


class ImdbIdField(serializers.RegexField):
    default_error_messages = {"invalid": "Enter an IMDb id: tt followed by 7 or 8 digits."}

    def __init__(self, **kwargs):
        super().__init__(IMDB_ID_PATTERN, max_length=10, **kwargs)


@extend_schema_field({"type": "number", "minimum": 0.5, "maximum": 5.0, "multipleOf": 0.5})
class StarRatingField(serializers.FloatField):
    """Stars from 0.5 to 5.0 in steps of 0.5; sent and shown as a number."""

    default_error_messages = {
        "invalid": "A rating is a number of stars.",
        "not_half_star": "A rating is 0.5 to 5.0 stars in steps of 0.5.",
    }

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if value not in RATING_VALUES:
            self.fail("not_half_star")
        return value

    def to_representation(self, value):
        return float(value)


@extend_schema_field(
    {
        "type": "string",
        "anyOf": [{"format": "uri"}, {"maxLength": 0}],
        "description": "The poster's URL; empty when the movie has none.",
    }
)
class PosterUrlField(serializers.CharField):
    """A URL, or the empty string: the model field is `blank=True`."""


# The list endpoints show up to 100 rows a page; DRF's generic field-by-field output costs
# more than the queries behind it. These serializers declare their fields for validation
# and the OpenAPI schema, and build the output directly (tests pin the exact shapes).
_datetime = serializers.DateTimeField()


def _time(value):
    return None if value is None else _datetime.to_representation(value)


def _number(value):
    return None if value is None else float(value)


def movie_summary(movie) -> dict:
    return {
        "imdb_id": movie.imdb_id,
        "title": movie.title,
        "year": movie.year,
        "poster_url": movie.poster_url,
        "genres": movie.genres,
        "imdb_rating": _number(movie.imdb_rating),
        "average_rating": None if movie.average_rating is None else round(float(movie.average_rating), 2),
        "review_count": movie.review_count,
    }


class MovieSummarySerializer(serializers.ModelSerializer):
    poster_url = PosterUrlField(read_only=True)
    imdb_rating = serializers.FloatField(allow_null=True)
    average_rating = serializers.FloatField(allow_null=True, read_only=True)
    review_count = serializers.IntegerField(read_only=True)
    genres = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Movie
        fields = [
            "imdb_id",
            "title",
            "year",
            "poster_url",
            "genres",
            "imdb_rating",
            "average_rating",
            "review_count",
        ]
        read_only_fields = fields

    def to_representation(self, movie):
        return movie_summary(movie)


class MovieReferenceSerializer(serializers.ModelSerializer):
    poster_url = PosterUrlField(read_only=True)

    class Meta:
        model = Movie
        fields = ["imdb_id", "title", "year", "poster_url"]
        read_only_fields = fields


class UserReferenceSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)


class ReviewSerializer(serializers.ModelSerializer):
    movie = MovieReferenceSerializer(read_only=True)
    user = UserReferenceSerializer(read_only=True)
    rating = StarRatingField()

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
        ]
        read_only_fields = ["id", "movie", "user", "created_at", "updated_at"]

    def to_representation(self, review):
        movie, user = review.movie, review.user
        return {
            "id": review.id,
            "movie": {
                "imdb_id": movie.imdb_id,
                "title": movie.title,
                "year": movie.year,
                "poster_url": movie.poster_url,
            },
            "user": {"id": user.id, "username": user.username},
            "rating": float(review.rating),
            "body": review.body,
            "contains_spoilers": review.contains_spoilers,
            "created_at": _time(review.created_at),
            "updated_at": _time(review.updated_at),
        }


class ReviewCreateSerializer(serializers.Serializer):
    imdb_id = ImdbIdField()
    rating = StarRatingField()
    body = serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")
    contains_spoilers = serializers.BooleanField(required=False, default=False)


class ReviewUpdateSerializer(serializers.Serializer):
    rating = StarRatingField(required=False)
    body = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    contains_spoilers = serializers.BooleanField(required=False)


class MeSerializer(serializers.Serializer):
    in_watchlist = serializers.BooleanField()
    watched = serializers.BooleanField()
    watchlist_id = serializers.IntegerField(allow_null=True)
    review = ReviewSerializer(allow_null=True)

    def to_representation(self, me):
        review = me["review"]
        return {
            "in_watchlist": me["in_watchlist"],
            "watched": me["watched"],
            "watchlist_id": me["watchlist_id"],
            "review": None if review is None else ReviewSerializer().to_representation(review),
        }


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


class WatchlistItemSerializer(serializers.ModelSerializer):
    movie = MovieSummarySerializer(read_only=True)

    class Meta:
        model = WatchlistItem
        fields = ["id", "movie", "added_at", "watched", "watched_at"]
        read_only_fields = fields

    def to_representation(self, item):
        return {
            "id": item.id,
            "movie": movie_summary(item.movie),
            "added_at": _time(item.added_at),
            "watched": item.watched,
            "watched_at": _time(item.watched_at),
        }


class WatchlistAddSerializer(serializers.Serializer):
    imdb_id = ImdbIdField()


class WatchlistUpdateSerializer(serializers.Serializer):
    watched = serializers.BooleanField()
    watched_at = serializers.DateTimeField(required=False, allow_null=True)

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
    """The PATCH body requires `watched`: the schema must not make every field optional."""

    target_class = WatchlistUpdateSerializer

    def map_serializer(self, auto_schema, direction):
        return auto_schema._map_serializer(WatchlistUpdateSerializer(), direction, bypass_extensions=True)


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
