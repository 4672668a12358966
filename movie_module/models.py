import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from movie_module.titles import one_letter_deletions, search_key, search_names, typo_words
from scrapbook.change_announcements import AnnouncingQuerySet

IMDB_ID_PATTERN = r"^tt[0-9]{7,8}$"
imdb_id_validator = RegexValidator(IMDB_ID_PATTERN, "Enter an IMDb id: tt followed by 7 or 8 digits.")

# Ratings are stars from 0.5 to 5.0 in steps of 0.5.
RATING_CHOICES = [(x / 2, f"{x / 2:.1f}") for x in range(1, 11)]
RATING_VALUES = [value for value, _ in RATING_CHOICES]


# The fields a movie's search columns are made from.
TITLE_FIELDS = frozenset({"title", "alternate_titles"})
SEARCH_KEY_MAX_LENGTH = 300


class MovieQuerySet(AnnouncingQuerySet):
    """Movies whose search columns follow their titles on the bulk writes too, as `save()`
    makes them do for one movie: every way a title is written keeps search finding it."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for movie in objs:
            movie.fill_search_columns()
        created = super().bulk_create(objs, *args, **kwargs)
        TitleWordVariant.add_words_of(movie.search_names for movie in objs)
        return created

    def update(self, **changes):
        if not TITLE_FIELDS & changes.keys():
            return super().update(**changes)
        pks = list(self.values_list("pk", flat=True))  # before the update moves rows out of the filter
        rows = super().update(**changes)
        Movie.refresh_search_columns(pks)
        return rows


class Movie(models.Model):
    """A film of the catalogue, identified by its IMDb id."""

    class Source(models.TextChoices):
        DEMO = "demo", "Demo catalogue"
        IMDB = "imdb", "IMDb API"
        MOVIELENS = "movielens", "MovieLens import"
        ADMIN = "admin", "Entered by staff"

    imdb_id = models.CharField(max_length=10, unique=True, validators=[imdb_id_validator])
    title = models.CharField(max_length=300)
    # Other names the film is known by: its original-language title, MovieLens' and IMDb's.
    alternate_titles = models.JSONField(default=list, blank=True)
    # Derived from the titles on every write (fill_search_columns), read by search only: every
    # name folded (case, accents, punctuation gone), one per line; and the main one alone.
    search_names = models.TextField(default="", editable=False)
    search_key = models.CharField(max_length=SEARCH_KEY_MAX_LENGTH, default="", editable=False, db_index=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    genres = models.JSONField(default=list, blank=True)
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

    objects = MovieQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]
        indexes = [
            # The catalogue is listed by title; search has its own trigram index.
            models.Index(fields=["title", "id"], name="movie_title_idx"),
            models.Index(fields=["year"], name="movie_year_idx"),
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

    def save(self, *args, update_fields=None, **kwargs):
        # The search columns are the titles' index: derived here, never written apart from them.
        self.fill_search_columns()
        if update_fields is not None and TITLE_FIELDS & set(update_fields):
            update_fields = {*update_fields, "search_names", "search_key"}
        super().save(*args, update_fields=update_fields, **kwargs)
        if update_fields is None or TITLE_FIELDS & set(update_fields):
            TitleWordVariant.add_words_of([self.search_names])

    def fill_search_columns(self) -> None:
        self.search_names = search_names(self.title, self.alternate_titles or [])
        self.search_key = search_key(self.title)[:SEARCH_KEY_MAX_LENGTH]

    @classmethod
    def refresh_search_columns(cls, pks) -> None:
        """Derive the search columns of these movies anew from their stored titles."""
        pks = list(pks)
        for start in range(0, len(pks), 2000):
            movies = list(cls.objects.filter(pk__in=pks[start : start + 2000]).only(*TITLE_FIELDS))
            for movie in movies:
                movie.fill_search_columns()
            cls.objects.bulk_update(movies, ["search_names", "search_key"], batch_size=500)
            TitleWordVariant.add_words_of(movie.search_names for movie in movies)


class TitleWordVariant(models.Model):
    """A word of the catalogue's titles under one of its one-letter deletions (or as it is):
    the index through which a searched word with one typo finds the title words it may mean.
    Filled whenever titles are written; a word no title holds any more finds no movie, so
    rows are never removed one by one."""

    variant = models.CharField(max_length=40)
    word = models.CharField(max_length=40)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["variant", "word"], name="title_word_variant_unique")]

    def __str__(self):
        return f"{self.variant} → {self.word}"

    @classmethod
    def add_words_of(cls, search_names) -> None:
        """Index the typo-forgivable words of these search columns; those already known are kept."""
        words = typo_words([line for names in search_names for line in names.split("\n")])
        rows = [cls(variant=variant, word=word) for word in words for variant in one_letter_deletions(word)]
        if rows:
            cls.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)


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

    objects = AnnouncingQuerySet.as_manager()

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

    objects = AnnouncingQuerySet.as_manager()

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
