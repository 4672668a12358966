import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.db.models.lookups import IsNull

from scrapbook.change_announcements import AnnouncingQuerySet

IMDB_ID_PATTERN = r"^tt[0-9]{7,8}$"
imdb_id_validator = RegexValidator(IMDB_ID_PATTERN, "Enter an IMDb id: tt followed by 7 or 8 digits.")

# Ratings are stars from 0.5 to 5.0 in steps of 0.5.
RATING_CHOICES = [(x / 2, f"{x / 2:.1f}") for x in range(1, 11)]
RATING_VALUES = [value for value, _ in RATING_CHOICES]


def nulls_last(column: str, *, descending: bool = False) -> tuple:
    """Terms ordering by `column` with its nulls last, the same on SQLite and PostgreSQL, for
    `order_by()` and for the index that serves it: `column IS NULL` first, as NULLS LAST
    cannot be declared in a SQLite index."""
    return (IsNull(F(column), True), F(column).desc() if descending else F(column).asc())


class Genre(models.Model):
    """A genre ("Crime", "Sci-Fi"); names are unique whatever their case."""

    name = models.CharField(max_length=64)

    objects = AnnouncingQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="genre_name_unique_any_case")]

    def __str__(self):
        return self.name


class Movie(models.Model):
    """A film of the catalogue, identified by its IMDb id.

    `review_count`, `average_rating` and `popularity` are counters kept from the reviews,
    watchlists and corpus ratings (catalogue/counters.py), so that the catalogue can be
    ordered by them through an index.
    """

    class Source(models.TextChoices):
        DEMO = "demo", "Demo catalogue"
        IMDB = "imdb", "IMDb API"
        MOVIELENS = "movielens", "MovieLens import"
        ADMIN = "admin", "Entered by staff"

    imdb_id = models.CharField(max_length=10, unique=True, validators=[imdb_id_validator])
    title = models.CharField(max_length=300)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    genres = models.ManyToManyField(Genre, through="MovieGenre", related_name="movies", blank=True)
    poster_url = models.URLField(max_length=500, blank=True)
    plot = models.TextField(blank=True)
    runtime_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    directors = models.JSONField(default=list, blank=True)
    cast = models.JSONField(default=list, blank=True)
    imdb_rating = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    imdb_votes = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.ADMIN)
    # When the details were last fetched from the IMDb API; null: never.
    refreshed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # This site's reviews: how many, and their mean (null without any).
    review_count = models.PositiveIntegerField(default=0, editable=False)
    average_rating = models.FloatField(null=True, blank=True, editable=False)
    # Reviews + watchlist items + corpus ratings (MovieLens, the demo corpus): how many people
    # have seen or want to see it.
    popularity = models.PositiveIntegerField(default=0, editable=False)

    objects = AnnouncingQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]
        # One index per ordering of the catalogue (catalogue/filters.py), each ending with the
        # same tie-breakers, so that a page is read from the index, not sorted.
        indexes = [
            # The catalogue is listed by title; search has its own trigram index.
            models.Index(fields=["title", "id"], name="movie_title_idx"),
            models.Index(*nulls_last("year"), F("title").asc(), F("id").asc(), name="movie_year_idx"),
            models.Index(
                *nulls_last("year", descending=True),
                F("title").asc(),
                F("id").asc(),
                name="movie_year_desc_idx",
            ),
            models.Index(
                *nulls_last("average_rating", descending=True),
                F("review_count").desc(),
                F("title").asc(),
                F("id").asc(),
                name="movie_average_rating_idx",
            ),
            models.Index(
                F("review_count").desc(), F("title").asc(), F("id").asc(), name="movie_review_count_idx"
            ),
            models.Index(
                *nulls_last("imdb_rating", descending=True),
                F("title").asc(),
                F("id").asc(),
                name="movie_imdb_rating_idx",
            ),
            models.Index(
                F("popularity").desc(), F("title").asc(), F("id").asc(), name="movie_popularity_idx"
            ),
            models.Index(fields=["refreshed_at"], name="movie_refreshed_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(imdb_id__regex=IMDB_ID_PATTERN), name="movie_imdb_id_format"),
            models.CheckConstraint(
                condition=Q(imdb_rating__isnull=True) | Q(imdb_rating__gte=0, imdb_rating__lte=10),
                name="movie_imdb_rating_range",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.year})" if self.year else self.title

    @property
    def genre_names(self) -> list[str]:
        """Its genres' names, by name: from the prefetched genres when they were prefetched
        (catalogue.selectors.prepare_summaries), else one query."""
        return [genre.name for genre in self.genres.all()]


class MovieGenre(models.Model):
    """A movie's genre: the link of the many-to-many, indexed both ways."""

    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="genre_links")
    genre = models.ForeignKey(Genre, on_delete=models.CASCADE, related_name="movie_links")

    objects = AnnouncingQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["movie", "genre"], name="movie_genre_once")]
        # The unique constraint serves "the genres of these movies"; this one "the movies of a genre".
        indexes = [models.Index(fields=["genre", "movie"], name="movie_genre_by_genre_idx")]

    def __str__(self):
        return f"{self.movie_id} in {self.genre_id}"


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


# Before the first films: an earlier `watched_at` is a mistake, not a viewing.
EARLIEST_WATCHED_AT = datetime.datetime(1870, 1, 1, tzinfo=datetime.UTC)


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
