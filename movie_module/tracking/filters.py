import django_filters
from django.db.models import F

from authentication.usernames import username_key
from movie_module.models import Review, WatchlistItem, imdb_id_validator


class OrderingChoiceFilter(django_filters.ChoiceFilter):
    """`?ordering=<name>` from a fixed menu, each name mapped to exact order_by terms."""

    def __init__(self, orderings: dict, **kwargs):
        self.orderings = orderings
        super().__init__(choices=[(name, name) for name in orderings], **kwargs)

    def filter(self, queryset, value):
        return queryset.order_by(*self.orderings[value]) if value else queryset


class WatchlistFilter(django_filters.FilterSet):
    watched = django_filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")], coerce=lambda value: value == "true"
    )
    ordering = OrderingChoiceFilter(
        {
            "added_at": ["added_at", "id"],
            "-added_at": ["-added_at", "-id"],
            "title": ["movie__title", "id"],
            # Unwatched items have no watched_at: they come last.
            "-watched_at": [F("watched_at").desc(nulls_last=True), "-id"],
        }
    )

    class Meta:
        model = WatchlistItem
        fields = ["watched"]


class ReviewFilter(django_filters.FilterSet):
    movie = django_filters.CharFilter(field_name="movie__imdb_id", validators=[imdb_id_validator])
    # A username as its owner might type it: in any case or width (usernames.username_key).
    user = django_filters.CharFilter(method="filter_user")
    ordering = OrderingChoiceFilter(
        {
            "-created_at": ["-created_at", "-id"],
            "created_at": ["created_at", "id"],
            "rating": ["rating", "-id"],
            "-rating": ["-rating", "-id"],
        }
    )

    class Meta:
        model = Review
        fields = ["movie", "user"]

    def filter_user(self, queryset, name, value):
        return queryset.filter(user__username_key=username_key(value))
