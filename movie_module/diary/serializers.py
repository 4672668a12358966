"""The wire shapes of the Diary section of ../shared/API.md."""

import datetime

from django.utils import timezone
from rest_framework import serializers

from api.serializers import ApiModelSerializer
from api.shapes import FastOutput
from movie_module.models import EARLIEST_WATCHED_AT, Watch
from movie_module.serializers import ImdbIdField, MovieReferenceSerializer, StarRatingField

# Somewhere on Earth (UTC+14) it is already this date: a day that has begun there is no future.
LATEST_UTC_OFFSET = datetime.timedelta(hours=14)


def latest_date_anywhere() -> datetime.date:
    return (timezone.now() + LATEST_UTC_OFFSET).date()


class WatchSerializer(FastOutput, ApiModelSerializer):
    movie = MovieReferenceSerializer(read_only=True)
    rating = StarRatingField(allow_null=True)
    # An annotation: selectors.with_rewatch sets it on every watch it reads.
    rewatch = serializers.BooleanField(read_only=True)

    class Meta:
        model = Watch
        fields = ["id", "movie", "watched_on", "rating", "rewatch", "note", "created_at"]
        read_only_fields = fields


class WatchedOnField(serializers.DateField):
    default_error_messages = {
        "future": "This date is in the future.",
        "too_early": "This date is before the first films: it must be in 1870 or later.",
    }

    def to_internal_value(self, value):
        watched_on = super().to_internal_value(value)
        if watched_on > latest_date_anywhere():
            self.fail("future")
        if watched_on < EARLIEST_WATCHED_AT.date():
            self.fail("too_early")
        return watched_on


class WatchUpdateSerializer(serializers.Serializer):
    watched_on = WatchedOnField(required=False)
    rating = StarRatingField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=10000)


class WatchCreateSerializer(WatchUpdateSerializer):
    imdb_id = ImdbIdField()
