"""The wire shapes of the Watchlist and Reviews sections of ../shared/API.md."""

from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

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
    movie_summary,
    time_or_none,
)


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
            "created_at": time_or_none(review.created_at),
            "updated_at": time_or_none(review.updated_at),
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
            "added_at": time_or_none(item.added_at),
            "watched": item.watched,
            "watched_at": time_or_none(item.watched_at),
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
    """The PATCH body requires `watched`: the schema must not make every field optional.

    For a PATCH, drf-spectacular maps a partial copy of the serializer, which lists no
    required field. A serializer extension's stock `map_serializer` maps `target_class`
    itself, afresh and not partial, so `watched` stays required, as the view enforces
    (it validates without `partial`). tests/test_library_internals.py pins the outcome.
    """

    target_class = WatchlistUpdateSerializer
