"""Every write to a table that cached answers show announces what it changed, after commit.

Two ways in, covering every write path: model signals for saves and deletes (the API, the
admin, `manage.py` commands and cascades), and AnnouncingQuerySet for the bulk writes that
send no signal (`update()`, and `bulk_update()` through it, `bulk_create()`). What a write changes is
declared in scrapbook/cached_data.py; the announcement replaces the data's generations
(scrapbook/response_cache.py), now and again after the transaction commits.
"""

from django.apps import apps
from django.db import models
from django.db.models.signals import post_delete, post_save

from .cached_data import WRITES, changed_by_write
from .response_cache import invalidate


def announce_write(model, *, owner_ids=(), fields=None) -> None:
    changed = changed_by_write(model._meta.label, owner_ids=owner_ids, fields=fields)
    if changed:
        invalidate(*changed)


def _owner_ids_of_rows(model, rows) -> set:
    declared = WRITES[model._meta.label]
    return {getattr(row, declared.owner) for row in rows} if declared.own else set()


def announce_saved_row(sender, instance, update_fields=None, **kwargs):
    announce_write(sender, owner_ids=_owner_ids_of_rows(sender, [instance]), fields=update_fields)


def announce_deleted_row(sender, instance, **kwargs):
    announce_write(sender, owner_ids=_owner_ids_of_rows(sender, [instance]))


class AnnouncingQuerySet(models.QuerySet):
    """A QuerySet whose bulk writes announce what they changed, as saves and deletes do.

    `bulk_update()` writes through `update()` (tests/test_cached_data.py checks it).
    """

    def _owner_ids(self) -> set:
        declared = WRITES[self.model._meta.label]
        if not declared.own:
            return set()
        return set(self.order_by().values_list(declared.owner, flat=True).distinct())

    def update(self, **changes):
        owner_ids = self._owner_ids()
        rows = super().update(**changes)
        if rows:
            announce_write(self.model, owner_ids=owner_ids, fields=changes)
        return rows

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            announce_write(self.model, owner_ids=_owner_ids_of_rows(self.model, created))
        return created


def connect_announcements() -> None:
    """Connect the save and delete signals of every table declared in cached_data.WRITES."""
    for label in WRITES:
        model = apps.get_model(label)
        uid = f"announce-{label}"
        post_save.connect(announce_saved_row, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(announce_deleted_row, sender=model, dispatch_uid=f"{uid}-delete")
