"""The wire shapes of imports (../shared/API.md, "Your data")."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers import ApiModelSerializer
from your_data.models import Import

COUNT_NAMES = ["rows", "reviews", "watches", "watchlist", "lists", "unchanged", "unmatched"]


class ImportCreateSerializer(serializers.Serializer):
    file = serializers.FileField()
    format = serializers.ChoiceField(choices=Import.Format.choices)


class ImportCountsSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    reviews = serializers.IntegerField()
    watches = serializers.IntegerField()
    watchlist = serializers.IntegerField()
    lists = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    unmatched = serializers.IntegerField()


class UnmatchedRowSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="The row's line in its file (its place, in a JSON file).")
    file = serializers.CharField(help_text="The file of the upload, or of its ZIP, the row is in.")
    title = serializers.CharField(allow_blank=True)
    year = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()


class ImportSerializer(ApiModelSerializer):
    counts = serializers.SerializerMethodField()
    unmatched = UnmatchedRowSerializer(many=True, read_only=True)
    error = serializers.SerializerMethodField()

    class Meta:
        model = Import
        fields = [
            "id",
            "format",
            "status",
            "created_at",
            "finished_at",
            "counts",
            "unmatched",
            "truncated",
            "error",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "truncated": {
                "help_text": "The file held more than IMPORT_MAX_ROWS rows; those past it were not read."
            }
        }

    @extend_schema_field(ImportCountsSerializer)
    def get_counts(self, job: Import) -> dict:
        return {name: job.counts.get(name, 0) for name in COUNT_NAMES}

    def get_error(self, job: Import) -> str | None:
        """Why the import failed, in words for a person; null unless it did."""
        return job.error or None
