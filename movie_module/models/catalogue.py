"""The catalogue: movies, their genres, and the index of their titles' words."""

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.db.models.lookups import IsNull

from movie_module.titles import one_letter_deletions, search_key, search_names, typo_words
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
    # Other names the film is known by: its original-language title, MovieLens' and IMDb's.
    alternate_titles = models.JSONField(default=list, blank=True)
    # Derived from the titles on every write (fill_search_columns), read by search only: every
    # name folded (case, accents, punctuation gone), one per line; and the main one alone.
    search_names = models.TextField(default="", editable=False)
    search_key = models.CharField(max_length=SEARCH_KEY_MAX_LENGTH, default="", editable=False, db_index=True)
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

    objects = MovieQuerySet.as_manager()

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

    @property
    def genre_names(self) -> list[str]:
        """Its genres' names, by name: as read for a page (catalogue.selectors.prepare_summaries),
        else one query."""
        read = self.__dict__.get("read_genre_names")
        return [genre.name for genre in self.genres.all()] if read is None else read


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
