"""Imports: an upload checked and stored, then read, matched and applied in the background."""

import io
import itertools
import logging
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from scrapbook.background import TRANSIENT_DATABASE_ERRORS, enqueue
from your_data.models import Import, ImportUpload

from .applying import Outcome, apply_rows
from .formats import ImportFileError, Limits, check_file, file_rows
from .matching import match_rows

logger = logging.getLogger(__name__)

UNEXPECTED_FAILURE = "The import failed unexpectedly; nothing was imported. Try again later."


class UploadTooLarge(Exception):
    """The file is larger than IMPORT_UPLOAD_MAX_BYTES."""


def upload_limits() -> Limits:
    return Limits()


def import_create(*, user, format_name: str, upload: BinaryIO, filename: str, size: int) -> Import:
    """Check that the upload is an export of `format_name`, store it and queue its import.

    Raises UploadTooLarge, or ImportFileError saying what is wrong with the file.
    """
    if size > settings.IMPORT_UPLOAD_MAX_BYTES:
        raise UploadTooLarge
    check_file(format_name, upload, filename=filename, limits=upload_limits())
    from .tasks import run_import  # the task calls this module

    with transaction.atomic():
        job = Import.objects.create(user=user, format=format_name, filename=filename[:255])
        ImportUpload.objects.create(import_job=job, data=upload.read())
        enqueue(run_import, job.pk)
    return job


def import_run(*, import_id: int) -> str | None:
    """Import the stored file of a queued (or interrupted) import; returns its status, or
    None when there was nothing to do. A file found malformed past its first rows fails
    the import with the reason, and nothing of it is written."""
    claimed = Import.objects.filter(pk=import_id, status__in=[Import.Status.QUEUED, Import.Status.RUNNING])
    if not claimed.update(status=Import.Status.RUNNING):
        return None
    job = Import.objects.select_related("user").get(pk=import_id)
    data = ImportUpload.objects.filter(import_job=job).values_list("data", flat=True).first()
    try:
        outcome, truncated = import_file(job, bytes(data or b""))
    except ImportFileError as error:
        return finish(job, status=Import.Status.FAILED, error=str(error))
    except TRANSIENT_DATABASE_ERRORS:
        raise  # retried: the import stays running until then
    except Exception:
        logger.exception("Import %s failed", import_id)
        return finish(job, status=Import.Status.FAILED, error=UNEXPECTED_FAILURE)
    return finish(job, status=Import.Status.DONE, outcome=outcome, truncated=truncated)


def import_file(job: Import, data: bytes) -> tuple[Outcome, bool]:
    """Read, match and apply the file; (outcome, whether rows past IMPORT_MAX_ROWS were left)."""
    rows_read = file_rows(job.format, io.BytesIO(data), filename=job.filename, limits=upload_limits())
    rows = list(itertools.islice(rows_read, settings.IMPORT_MAX_ROWS + 1))
    truncated = len(rows) > settings.IMPORT_MAX_ROWS
    rows = rows[: settings.IMPORT_MAX_ROWS]
    matches = match_rows(rows)  # may ask the IMDb API: outside the transaction
    with transaction.atomic():
        outcome = apply_rows(user=job.user, rows=rows, matches=matches)
    return outcome, truncated


def finish(job: Import, *, status: str, outcome: Outcome | None = None, truncated=False, error="") -> str:
    unmatched = sorted(outcome.unmatched, key=lambda entry: (entry["file"], entry["row"])) if outcome else []
    with transaction.atomic():
        Import.objects.filter(pk=job.pk).update(
            status=status,
            finished_at=timezone.now(),
            counts=outcome.counts if outcome else {},
            unmatched=unmatched[: settings.IMPORT_MAX_REPORTED_ROWS],
            truncated=truncated,
            error=error,
        )
        ImportUpload.objects.filter(import_job=job).delete()
    return status
