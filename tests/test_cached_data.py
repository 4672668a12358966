"""Every way of writing a table that cached answers show announces what it changed
(scrapbook/cached_data.py), and every table is either declared or known not to be shown.

Driven by the declaration itself: a table added to WRITES is tested through every kind of
write without a new test; a new model is a failure until it is classified.
"""

import datetime

import pytest
from django.apps import apps
from django.core.cache import cache

from authentication.tests.factories import UserFactory
from movie_module.models import Review
from movie_module.tests.factories import (
    ActivityFactory,
    FollowFactory,
    GenreFactory,
    MovieFactory,
    MovieGenreFactory,
    MovieListFactory,
    MovieListItemFactory,
    ReviewFactory,
    ReviewLikeFactory,
    WatchFactory,
    WatchlistItemFactory,
)
from scrapbook import cached_data
from scrapbook.cached_data import READS, WRITES, changed_by_write
from scrapbook.change_announcements import AnnouncingQuerySet
from scrapbook.response_cache import GENERATION_PREFIX

pytestmark = pytest.mark.django_db

# Tables no cached answer shows (yet): writes to them need not announce anything.
NOT_SHOWN = {
    "movie_module.CorpusRating",  # the recommender's training data, read when it fits
    "chat.Message",  # chat history is not cached
    "chat.RoomRead",  # nor the rooms list's unread counts
    "movie_module.TitleWordVariant",  # the search's typo index: derived from movie writes, which announce
}
FACTORIES = {
    "movie_module.Movie": MovieFactory,
    "movie_module.Review": ReviewFactory,
    "movie_module.WatchlistItem": WatchlistItemFactory,
    "movie_module.Genre": GenreFactory,
    "movie_module.MovieGenre": MovieGenreFactory,
    "movie_module.ReviewLike": ReviewLikeFactory,
    "movie_module.Watch": WatchFactory,
    "movie_module.MovieList": MovieListFactory,
    "movie_module.MovieListItem": MovieListItemFactory,
    "movie_module.Follow": FollowFactory,
    "movie_module.Activity": ActivityFactory,
    "authentication.User": UserFactory,
}
# A field each table shows, and a new value for it.
VISIBLE_CHANGE = {
    "movie_module.Movie": ("title", "Another Title"),
    "movie_module.Review": ("body", "Changed my mind."),
    "movie_module.WatchlistItem": ("watched", True),
    "movie_module.Genre": ("name", "Film-Noir"),
    "movie_module.MovieGenre": ("genre", GenreFactory),  # a callable: made at write time
    "movie_module.ReviewLike": ("review", ReviewFactory),
    "movie_module.Watch": ("note", "Seen it again."),
    "movie_module.MovieList": ("public", False),
    "movie_module.MovieListItem": ("note", "The best one."),
    "movie_module.Follow": ("created_at", datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)),
    "movie_module.Activity": ("created_at", datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)),
    "authentication.User": ("email", "changed@example.com"),
}


def generation_tokens(names) -> dict:
    keys = {name: GENERATION_PREFIX + name for name in names}
    for key in keys.values():
        cache.add(key, "initial", timeout=600)
    found = cache.get_many(list(keys.values()))
    return {name: found.get(key) for name, key in keys.items()}


def value_at(row, path):
    for name in path.split("__"):
        row = getattr(row, name)
    return row


def users_of(label, row) -> dict:
    return {path: {value_at(row, path)} for path in WRITES[label].user_fields()}


def followed_by_someone(label, row) -> set:
    """For a table shown in feeds: a follower of the row's author, whose feed a write changes."""
    path = WRITES[label].in_followers_feeds
    if not path:
        return set()
    follower = UserFactory()
    FollowFactory(follower=follower, followed_id=value_at(row, path))
    return {follower.pk}


def build_unsaved(label):
    """A row of `label` not yet in the database, whose related rows are."""
    row = FACTORIES[label].build()
    save_related_rows(row)
    if label == "authentication.User":
        row.pk = 10**6  # known before the insert, so the announcement can be predicted
    return row


def save_related_rows(row):
    """Save the rows `row` points at, and theirs first (a like's review's movie and author)."""
    for field in row._meta.concrete_fields:
        if field.is_relation and (related := getattr(row, field.name)) is not None:
            save_related_rows(related)
            related.save()
            setattr(row, field.name, related)


def write(label, how, row):
    model = apps.get_model(label)
    field, value = VISIBLE_CHANGE[label]
    if callable(value):
        value = value()
    if how == "save":
        setattr(row, field, value)
        row.save()
    elif how == "save_update_fields":
        setattr(row, field, value)
        row.save(update_fields=[field])
    elif how == "queryset_update":
        model.objects.filter(pk=row.pk).update(**{field: value})
    elif how == "bulk_update":
        setattr(row, field, value)
        model.objects.bulk_update([row], [field])
    elif how == "delete":
        row.delete()
    elif how == "queryset_delete":
        model.objects.filter(pk=row.pk).delete()
    return None if how in ("save", "delete", "queryset_delete") else [field]


@pytest.mark.parametrize("label", list(WRITES))
@pytest.mark.parametrize(
    "how", ["save", "save_update_fields", "queryset_update", "bulk_update", "delete", "queryset_delete"]
)
def test_every_write_to_a_declared_table_announces_what_it_changed(label, how):
    row = FACTORIES[label]()
    followers = followed_by_someone(label, row)
    field = VISIBLE_CHANGE[label][0]
    fields = None if how in ("save", "delete", "queryset_delete") else [field]
    expected = changed_by_write(label, users=users_of(label, row), follower_ids=followers, fields=fields)
    assert expected, f"a write of {field} to {label} must change something"
    before = generation_tokens(expected)
    write(label, how, row)
    after = generation_tokens(expected)
    assert [name for name in expected if after[name] == before[name]] == []


@pytest.mark.parametrize("label", list(WRITES))
@pytest.mark.parametrize("how", ["create", "bulk_create"])
def test_every_insert_into_a_declared_table_announces_it(label, how):
    row = build_unsaved(label)
    followers = followed_by_someone(label, row)
    expected = changed_by_write(label, users=users_of(label, row), follower_ids=followers)
    before = generation_tokens(expected)
    model = apps.get_model(label)
    if how == "create":
        row.save()
    else:
        model.objects.bulk_create([row])
    after = generation_tokens(expected)
    assert [name for name in expected if after[name] == before[name]] == []


def test_a_cascade_announces_every_table_it_empties():
    user = UserFactory()
    movie = MovieFactory()
    ReviewFactory(user=user, movie=movie)
    WatchlistItemFactory(user=user, movie=movie)
    follower = UserFactory()
    FollowFactory(follower=follower, followed=user)
    ActivityFactory(review=Review.objects.get(user=user))
    WatchFactory(user=user, movie=movie)
    expected = [
        cached_data.MOVIES,
        cached_data.REVIEWS,
        cached_data.WATCHLISTS,
        cached_data.own(cached_data.REVIEWS_BY, user.pk),
        cached_data.own(cached_data.WATCHLIST, user.pk),
        cached_data.own(cached_data.DIARY, user.pk),
        cached_data.own(cached_data.FEED, follower.pk),
    ]
    before = generation_tokens(expected)
    movie.delete()
    after = generation_tokens(expected)
    assert [name for name in expected if after[name] == before[name]] == []


def test_an_announcement_is_made_again_after_the_commit(django_capture_on_commit_callbacks):
    """A reader who rebuilt an answer between the write and its commit cannot keep it."""
    movie = MovieFactory()
    with django_capture_on_commit_callbacks(execute=True):
        movie.title = "Inside"
        movie.save()
        inside = generation_tokens([cached_data.MOVIES])
    assert generation_tokens([cached_data.MOVIES]) != inside


@pytest.mark.django_db(transaction=True)
def test_a_write_outside_a_transaction_is_announced_once(monkeypatch):
    """Committed when it is announced: a second replacement would only cost a round trip."""
    movie = MovieFactory()
    replaced = []
    set_many = cache.set_many
    monkeypatch.setattr(
        cache, "set_many", lambda tokens, **kwargs: replaced.append(set(tokens)) or set_many(tokens, **kwargs)
    )
    before = generation_tokens([cached_data.MOVIES])
    movie.title = "Inside"
    movie.save()
    assert generation_tokens([cached_data.MOVIES]) != before
    assert replaced == [{GENERATION_PREFIX + cached_data.MOVIES}]


def test_a_write_of_fields_no_answer_shows_announces_nothing():
    movie = MovieFactory()
    before = generation_tokens([cached_data.MOVIES])
    type(movie).objects.filter(pk=movie.pk).update(refreshed_at=movie.created_at)
    assert generation_tokens([cached_data.MOVIES]) == before


def test_a_username_change_reaches_every_review_list_and_an_email_change_does_not():
    user = UserFactory()
    before = generation_tokens([cached_data.USERNAMES])
    user.email = "new@example.com"
    user.save(update_fields=["email"])
    assert generation_tokens([cached_data.USERNAMES]) == before
    user.username = "renamed"
    user.save()
    assert generation_tokens([cached_data.USERNAMES]) != before


def test_every_table_is_declared_or_known_not_to_be_shown():
    ours = {"authentication", "movie_module", "chat"}
    tables = {model._meta.label for model in apps.get_models() if model._meta.app_label in ours}
    assert tables - set(WRITES) - NOT_SHOWN == set(), "declare it in cached_data.WRITES or NOT_SHOWN here"
    assert set(WRITES) & NOT_SHOWN == set()


@pytest.mark.parametrize("label", list(WRITES))
def test_every_declared_table_announces_its_bulk_writes(label):
    assert isinstance(apps.get_model(label).objects.all(), AnnouncingQuerySet)


def test_every_read_depends_on_declared_data_only():
    names = {
        cached_data.MOVIES,
        cached_data.REVIEWS,
        cached_data.WATCHLISTS,
        cached_data.USERNAMES,
        cached_data.LIKES,
    }
    own_names = {
        cached_data.USER,
        cached_data.WATCHLIST,
        cached_data.REVIEWS_BY,
        cached_data.DIARY,
        cached_data.FOLLOWING,
        cached_data.FOLLOWERS,
        cached_data.FEED,
    }
    written_shared = {name for write in WRITES.values() for name in (*write.shared, *write.shared_when)}
    written_own = {name for write in WRITES.values() for names in write.own.values() for name in names}
    written_own |= {cached_data.FEED for write in WRITES.values() if write.in_followers_feeds}
    for read in READS.values():
        assert set(read.shared) <= names & written_shared, "a shared name no write announces"
        assert set(read.own) <= own_names & written_own, "an own name no write announces"


@pytest.mark.parametrize("label", [label for label, write in WRITES.items() if write.in_followers_feeds])
def test_a_write_shown_in_feeds_reaches_every_follower_and_nobody_else(label):
    row = FACTORIES[label]()
    followers = [followed_by_someone(label, row).pop() for _ in range(3)]
    stranger = UserFactory()
    names = [cached_data.own(cached_data.FEED, user_id) for user_id in [*followers, stranger.pk]]
    before = generation_tokens(names)
    write(label, "save", row)
    after = generation_tokens(names)
    assert [name for name in names if after[name] != before[name]] == names[:3]
