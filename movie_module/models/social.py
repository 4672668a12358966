"""Diary, lists and people (issue 17). Every user foreign key cascades: deleting an account
deletes what it owns."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from scrapbook.change_announcements import AnnouncingQuerySet

from .catalogue import RATING_VALUES, Movie
from .tracking import EARLIEST_WATCHED_AT, Review


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

    objects = AnnouncingQuerySet.as_manager()

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

    objects = AnnouncingQuerySet.as_manager()

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

    objects = AnnouncingQuerySet.as_manager()

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

    objects = AnnouncingQuerySet.as_manager()

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

    objects = AnnouncingQuerySet.as_manager()

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
