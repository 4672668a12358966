"""What users keep of movies (watchlists, reviews) and the ratings of the corpus."""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from scrapbook.change_announcements import AnnouncingQuerySet

from .catalogue import RATING_VALUES, Movie

# Before the first films: an earlier `watched_at` is a mistake, not a viewing.
EARLIEST_WATCHED_AT = datetime.datetime(1870, 1, 1, tzinfo=datetime.UTC)


class CountedQuerySet(AnnouncingQuerySet):
    """Rows that the movies' counters count (reviews, watchlist items): their bulk writes
    recount the movies they touch, as saves and deletes do (catalogue/counters.py)."""

    def update(self, **changes):
        from movie_module.catalogue import counters  # it counts these models

        if not counters.COUNTED_FIELDS & set(changes):
            return super().update(**changes)
        movie_ids = set(self.order_by().values_list("movie_id", flat=True).distinct())
        rows = super().update(**changes)
        counters.recount_movies(movie_ids | counters.movie_ids_in(changes))
        return rows

    def bulk_create(self, objs, *args, **kwargs):
        from movie_module.catalogue import counters

        created = super().bulk_create(objs, *args, **kwargs)
        counters.recount_movies({row.movie_id for row in created})
        return created


class WatchlistItem(models.Model):
    """A movie on a user's watchlist; one per user and movie."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watchlist_items"
    )
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="watchlist_items")
    added_at = models.DateTimeField(auto_now_add=True)
    watched = models.BooleanField(default=False)
    watched_at = models.DateTimeField(null=True, blank=True)

    objects = CountedQuerySet.as_manager()

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "movie"], name="watchlist_one_per_user_movie"),
            models.CheckConstraint(
                condition=Q(watched=True) | Q(watched_at__isnull=True),
                name="watchlist_watched_at_only_when_watched",
            ),
            models.CheckConstraint(
                condition=Q(watched_at__isnull=True) | Q(watched_at__gte=EARLIEST_WATCHED_AT),
                name="watchlist_watched_at_after_first_films",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-added_at", "-id"], name="watchlist_user_added_idx"),
            models.Index(fields=["user", "watched", "-added_at"], name="watchlist_user_watched_idx"),
            models.Index(fields=["user", "-watched_at"], name="watchlist_user_watched_at_idx"),
        ]

    def __str__(self):
        return f"{self.user} → {self.movie}"


class Review(models.Model):
    """A user's review of a movie; one per user and movie."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews")
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="reviews")
    rating = models.DecimalField(
        max_digits=2,
        decimal_places=1,
        validators=[MinValueValidator(0.5), MaxValueValidator(5)],
    )
    body = models.TextField(blank=True, max_length=10000)
    contains_spoilers = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CountedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "movie"], name="review_one_per_user_movie"),
            models.CheckConstraint(
                condition=Q(rating__in=RATING_VALUES), name="review_rating_half_stars_0_5_to_5"
            ),
        ]
        indexes = [
            models.Index(fields=["movie", "-created_at", "-id"], name="review_movie_created_idx"),
            models.Index(fields=["user", "-created_at", "-id"], name="review_user_created_idx"),
            models.Index(fields=["-created_at", "-id"], name="review_created_idx"),
            models.Index(fields=["rating", "-id"], name="review_rating_idx"),
        ]

    def __str__(self):
        return f"{self.user} on {self.movie}: {self.rating}"


class CorpusRating(models.Model):
    """A rating that did not come from this site's users (MovieLens, the demo corpus).

    The recommender learns from these together with this site's reviews.
    """

    source = models.CharField(max_length=32)
    external_user_id = models.CharField(max_length=64)
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="corpus_ratings")
    rating = models.DecimalField(max_digits=2, decimal_places=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_user_id", "movie"], name="corpus_rating_unique"
            ),
            models.CheckConstraint(condition=Q(rating__gte=0.5, rating__lte=5), name="corpus_rating_range"),
        ]

    def __str__(self):
        return f"{self.source}:{self.external_user_id} on {self.movie_id}: {self.rating}"
