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


# Diary, lists and people (issue 17). Every user foreign key cascades: deleting an account
# deletes what it owns.


class Watch(models.Model):
    """One viewing of a movie on one day: a diary entry. A movie may be watched many times."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watches")
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="watches")
    watched_on = models.DateField()
    rating = models.DecimalField(
        max_digits=2,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0.5), MaxValueValidator(5)],
    )
    note = models.TextField(blank=True, max_length=10000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-watched_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__in=RATING_VALUES),
                name="watch_rating_half_stars_0_5_to_5",
            ),
            models.CheckConstraint(
                condition=Q(watched_on__gte=EARLIEST_WATCHED_AT.date()), name="watch_on_after_first_films"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-watched_on", "-id"], name="watch_user_watched_on_idx"),
            # An earlier watch of the same movie (`rewatch`), and the latest rating of each movie.
            models.Index(fields=["user", "movie", "watched_on", "id"], name="watch_user_movie_idx"),
        ]

    def __str__(self):
        return f"{self.user} watched {self.movie} on {self.watched_on}"


class MovieList(models.Model):
    """A named, ordered list of movies; public unless its owner makes it private."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="movie_lists")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=10000)
    public = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-updated_at", "-id"], name="movielist_owner_updated_idx"),
            models.Index(fields=["public", "-updated_at", "-id"], name="movielist_public_updated_idx"),
        ]

    def __str__(self):
        return self.name


class MovieListItem(models.Model):
    """A movie in a list, at a position (smaller first), with the owner's note."""

    movie_list = models.ForeignKey(MovieList, on_delete=models.CASCADE, related_name="items")
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="list_items")
    position = models.PositiveIntegerField()
    note = models.TextField(blank=True, max_length=2000)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["movie_list", "movie"], name="movielist_item_once_per_list"),
        ]
        indexes = [models.Index(fields=["movie_list", "position", "id"], name="movielist_item_position_idx")]

    def __str__(self):
        return f"{self.movie} in {self.movie_list}"


class Follow(models.Model):
    """`follower` follows `followed`; nobody follows themselves."""

    follower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following")
    followed = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["follower", "followed"], name="follow_once"),
            models.CheckConstraint(condition=~Q(follower=models.F("followed")), name="follow_not_oneself"),
        ]
        indexes = [
            models.Index(fields=["follower", "-id"], name="follow_follower_idx"),
            models.Index(fields=["followed", "-id"], name="follow_followed_idx"),
        ]

    def __str__(self):
        return f"{self.follower} follows {self.followed}"


class ReviewLike(models.Model):
    """A user likes a review; once per user and review."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_likes")
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AnnouncingQuerySet.as_manager()

    class Meta:
        constraints = [
            # Its index counts a review's likes; the one below finds a user's.
            models.UniqueConstraint(fields=["review", "user"], name="review_like_once"),
        ]
        indexes = [models.Index(fields=["user", "review"], name="review_like_user_idx")]

    def __str__(self):
        return f"{self.user} likes review {self.review_id}"


class Activity(models.Model):
    """Something a user did that their followers' feeds show, written when it happens.

    It points at what it shows, so deleting that deletes it (CASCADE), and what it shows is
    read afresh: an edited review shows as edited, a list made private disappears.
    """

    class Kind(models.TextChoices):
        REVIEW = "review"
        WATCH = "watch"
        LIST = "list"
        FOLLOW = "follow"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    review = models.ForeignKey(Review, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    watch = models.ForeignKey(Watch, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    movie_list = models.ForeignKey(
        MovieList, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    follow = models.ForeignKey(Follow, on_delete=models.CASCADE, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "activities"
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="review", review__isnull=False, watch=None, movie_list=None, follow=None)
                    | Q(kind="watch", watch__isnull=False, review=None, movie_list=None, follow=None)
                    | Q(kind="list", movie_list__isnull=False, review=None, watch=None, follow=None)
                    | Q(kind="follow", follow__isnull=False, review=None, watch=None, movie_list=None)
                ),
                name="activity_points_at_its_kind",
            ),
        ]
        # The feed: the followed people's activities, newest first, by id.
        indexes = [models.Index(fields=["user", "-id"], name="activity_user_id_idx")]

    def __str__(self):
        return f"{self.user} {self.kind} #{self.id}"
