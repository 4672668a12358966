"""Every write to a table that cached answers show announces what it changed, after commit.

Two ways in, covering every write path: model signals for saves and deletes (the API, the
admin, `manage.py` commands and cascades), and AnnouncingQuerySet for the bulk writes that
send no signal (`update()`, and `bulk_update()` through it, `bulk_create()`). What a write changes is
declared in scrapbook/cached_data.py; the announcement replaces the data's generations
(scrapbook/response_cache.py), now and again after the transaction commits. A write shown
in feeds looks up the followers of its author (one query) to announce each one's feed. A
write that moves rows to another user or movie (the admin changing a review's author)
announces the data of those they named before as well as of those they name now.
"""

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

from .cached_data import FOLLOWS, WRITES, changed_by_write
from .internals.django_compiled_queries import CompiledQuery
from .response_cache import invalidate


def _followers_of(*, authors: list[int]):
    follows, followed, follower = FOLLOWS
    return apps.get_model(follows).objects.filter(**{f"{followed}__in": authors}).order_by().values(follower)


# Compiled once per process: a review and its activity each look up their author's followers.
FOLLOWERS_OF = CompiledQuery(_followers_of)


def announce_write(model, *, users: dict | None = None, fields=None) -> None:
    """Announce a write to `model`'s rows, which name `users` ({user field: ids})."""
    users = users or {}
    declared = WRITES[model._meta.label]
    if fields is not None and set(fields) <= declared.unseen:
        return
    follower_ids = ()
    if declared.in_followers_feeds and (authors := users.get(declared.in_followers_feeds)):
        follower = FOLLOWS[2]
        follower_ids = {row[follower] for row in FOLLOWERS_OF.rows(values={"authors": sorted(authors)})}
    changed = changed_by_write(model._meta.label, users=users, follower_ids=follower_ids, fields=fields)
    if changed:
        invalidate(*changed)


def _value_at(row, path: str):
    """The value at `path` of `row`: a field, or fields across relations ("movie_list__owner_id")."""
    for name in path.split("__"):
        try:
            row = getattr(row, name)
        except ObjectDoesNotExist:  # a related row deleted first: its own write announced it
            return None
        if row is None:
            return None
    return row


def _users_of_rows(model, rows) -> dict:
    return {
        path: {user_id for row in rows if (user_id := _value_at(row, path)) is not None}
        for path in WRITES[model._meta.label].user_fields()
    }


def _tracked_paths(model) -> list[str]:
    """The declared user (or movie) fields of `model` a save can change: all but the key."""
    return [path for path in WRITES[model._meta.label].user_fields() if path != "pk"]


def _first_field_name(model, path: str) -> str:
    return model._meta.get_field(path.split("__")[0]).name


def remember_previous_users(sender, instance, update_fields=None, raw=False, **kwargs):
    """Before a stored row is saved again with a field that names a user or a movie (the
    admin moving a review to another author or movie), what those fields named: the write
    changes the data of both (`previous_values`). One query, and only for such a save."""
    instance.__dict__.pop("_previous_values", None)
    paths = _tracked_paths(sender)
    if raw or not paths or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None:
        written = {sender._meta.get_field(name).name for name in update_fields}
        paths = [path for path in paths if _first_field_name(sender, path) in written]
        if not paths:
            return
    instance.__dict__["_previous_values"] = (
        sender._base_manager.filter(pk=instance.pk).values(*paths).first() or {}
    )


def previous_values(instance) -> dict:
    """What the declared user (or movie) fields of `instance` named before the save that is
    running (path -> value); {} for a new row, or a save that left them alone."""
    return instance.__dict__.get("_previous_values", {})


def announce_saved_row(sender, instance, update_fields=None, **kwargs):
    users = _users_of_rows(sender, [instance])
    for path, value in previous_values(instance).items():
        if value is not None:
            users.setdefault(path, set()).add(value)
    announce_write(sender, users=users, fields=update_fields)


def announce_deleted_row(sender, instance, **kwargs):
    announce_write(sender, users=_users_of_rows(sender, [instance]))


class AnnouncingQuerySet(models.QuerySet):
    """A QuerySet whose bulk writes announce what they changed, as saves and deletes do.

    `bulk_update()` writes through `update()` (tests/test_cached_data.py checks it).
    """

    def _users(self) -> dict:
        """The ids in each user (or movie) field of the rows: one query for them all."""
        paths = WRITES[self.model._meta.label].user_fields()
        if not paths:
            return {}
        rows = list(self.order_by().values_list(*paths).distinct())
        return {
            path: {row[index] for row in rows if row[index] is not None} for index, path in enumerate(paths)
        }

    def update(self, **changes):
        users = self._users()
        changed = {self.model._meta.get_field(name).name for name in changes}
        moves = any(_first_field_name(self.model, path) in changed for path in _tracked_paths(self.model))
        moved_rows = list(self.values_list("pk", flat=True)) if moves else []
        rows = super().update(**changes)
        if rows:
            if moved_rows:  # to another user or movie: whom they name now, besides whom they named
                moved = type(self)(model=self.model, using=self.db).filter(pk__in=moved_rows)
                for path, ids in moved._users().items():
                    users.setdefault(path, set()).update(ids)
            announce_write(self.model, users=users, fields=changes)
        return rows

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            announce_write(self.model, users=_users_of_rows(self.model, created))
        return created


def connect_announcements() -> None:
    """Connect the save and delete signals of every table declared in cached_data.WRITES."""
    for label in WRITES:
        model = apps.get_model(label)
        uid = f"announce-{label}"
        pre_save.connect(remember_previous_users, sender=model, dispatch_uid=f"{uid}-previous")
        post_save.connect(announce_saved_row, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(announce_deleted_row, sender=model, dispatch_uid=f"{uid}-delete")
