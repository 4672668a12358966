"""The wire shapes every room of the movie app shows: movies, users, ratings (../shared/API.md).

Each shape is declared once, here, as a serializer: the schema, the answers (FastOutput)
and the selectors' `.only(...)` columns (output_columns) all come from it (api/shapes.py).
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers import ApiModelSerializer
from api.shapes import FastOutput

from .models import IMDB_ID_PATTERN, RATING_VALUES, Movie


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


class MeanRatingField(serializers.FloatField):
    """A mean of star ratings, shown to two decimals."""

    def to_representation(self, value):
        return round(float(value), 2)


# `average_rating` and `review_count` are the movie's counters (catalogue/counters.py);
# `genres` its genres' names, prefetched for a page by catalogue.selectors.prepare_summaries.
class MovieSummarySerializer(FastOutput, ApiModelSerializer):
    poster_url = PosterUrlField(read_only=True)
    imdb_rating = serializers.FloatField(allow_null=True)
    average_rating = MeanRatingField(allow_null=True, read_only=True)
    review_count = serializers.IntegerField(read_only=True)
    genres = serializers.ListField(child=serializers.CharField(), source="genre_names", read_only=True)

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


class MovieReferenceSerializer(FastOutput, ApiModelSerializer):
    poster_url = PosterUrlField(read_only=True)

    class Meta:
        model = Movie
        fields = ["imdb_id", "title", "year", "poster_url"]
        read_only_fields = fields


class UserReferenceSerializer(FastOutput, serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
