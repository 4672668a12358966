from django.conf import settings
from django.db import models


class Import(models.Model):
    """A file of another service's export that a user asked to import, and what became of it."""

    class Format(models.TextChoices):
        LETTERBOXD = "letterboxd", "Letterboxd"
        IMDB = "imdb", "IMDb"
        TRAKT = "trakt", "Trakt"

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="imports")
    format = models.CharField(max_length=16, choices=Format.choices)
    filename = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # {rows, reviews, watches, watchlist, lists, unchanged, unmatched}
    counts = models.JSONField(default=dict, blank=True)
    # [{row, file, title, year, reason}], the first IMPORT_MAX_REPORTED_ROWS of them
    unmatched = models.JSONField(default=list, blank=True)
    # The file held more than IMPORT_MAX_ROWS rows: those past it were not read.
    truncated = models.BooleanField(default=False)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at", "-id"], name="import_user_created_idx")]

    def __str__(self):
        return f"{self.get_format_display()} import #{self.pk} ({self.status})"


class ImportUpload(models.Model):
    """The uploaded file, in the database so that any worker can read it; deleted once imported."""

    import_job = models.OneToOneField(Import, on_delete=models.CASCADE, related_name="upload")
    data = models.BinaryField()

    def __str__(self):
        return f"Upload of import #{self.import_job_id}"
