"""Browsing the catalogue: `?genre=&year_min=&year_max=&ordering=` over any list of movies,
the search's included (../shared/API.md, Movies). A value the filters do not know is a 400
that names it; without `ordering` the list keeps its own order (a search's best match first).

Each ordering ends with the same tie-breakers as the Movie index that serves it, so that a
page of a large catalogue is read from the index instead of sorted.
"""

import django_filters
from django import forms
from django.db.models.functions import Lower
from drf_spectacular.utils import extend_schema_field

from movie_module.models import Genre, Movie, MovieGenre, nulls_last
from movie_module.tracking.filters import OrderingChoiceFilter

LAST_YEAR = 32767  # the year column's largest value

ORDERINGS = {
    "title": ["title", "id"],
    "year": [*nulls_last("year"), "title", "id"],
    "-year": [*nulls_last("year", descending=True), "title", "id"],
    "-average_rating": [*nulls_last("average_rating", descending=True), "-review_count", "title", "id"],
    "-review_count": ["-review_count", "title", "id"],
    "-imdb_rating": [*nulls_last("imdb_rating", descending=True), "title", "id"],
    "-popularity": ["-popularity", "title", "id"],
}


class YearField(forms.IntegerField):
    def __init__(self, **kwargs):
        super().__init__(min_value=0, max_value=LAST_YEAR, **kwargs)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError:
            raise forms.ValidationError(f"{value!r} is not a year.", code="invalid") from None


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": LAST_YEAR})
class YearFilter(django_filters.NumberFilter):
    field_class = YearField


class GenreNamesField(forms.Field):
    """Genre names, repeated (`?genre=Crime&genre=Drama`), in any case: their Genre ids."""

    widget = forms.SelectMultiple

    def to_python(self, value):
        names = [" ".join(name.split()) for name in (value or [])]
        names = list(dict.fromkeys(name for name in names if name))
        if not names:
            return []
        found = dict(
            Genre.objects.annotate(key=Lower("name"))
            .filter(key__in=[name.lower() for name in names])
            .values_list("key", "id")
        )
        unknown = [name for name in names if name.lower() not in found]
        if unknown:
            raise forms.ValidationError(
                "Unknown genre: " + ", ".join(repr(name) for name in unknown) + ".", code="invalid_choice"
            )
        return [found[name.lower()] for name in names]


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class AllGenresFilter(django_filters.Filter):
    """Movies that have every genre named."""

    field_class = GenreNamesField

    def filter(self, queryset, genre_ids):
        for genre_id in genre_ids or []:
            queryset = queryset.filter(id__in=MovieGenre.objects.filter(genre_id=genre_id).values("movie_id"))
        return queryset


class MovieBrowseFilter(django_filters.FilterSet):
    genre = AllGenresFilter(help_text="A genre's name; repeat it for movies that have every one named")
    year_min = YearFilter(field_name="year", lookup_expr="gte", help_text="Released this year or later")
    year_max = YearFilter(field_name="year", lookup_expr="lte", help_text="Released this year or earlier")
    year = YearFilter(field_name="year", help_text="Released this year")
    ordering = OrderingChoiceFilter(
        ORDERINGS,
        help_text="Default: the best match first when searching, else `title`. Unknown values last. "
        "`-popularity`: the most reviews, watchlist items and corpus ratings (MovieLens, demo) together",
    )

    class Meta:
        model = Movie
        fields = []
