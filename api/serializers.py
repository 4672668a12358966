"""What every serializer of the API shares: its times, as the contract shows them.

../shared/API.md: "Times are ISO 8601 in UTC." DRF shows a time in the time zone active in
the request (`timezone.get_current_timezone()`, an asgiref Local read of about 9 µs, more
than the rest of the conversion); these fields name UTC themselves, so a time shows the same
whatever zone is active, and api/shapes.py converts them without asking.
"""

import datetime

from django.db import models
from rest_framework import serializers


class UtcDateTimeField(serializers.DateTimeField):
    # DRF's `enforce_timezone` takes the field's own `timezone` when it has one.
    timezone = datetime.UTC


class ApiModelSerializer(serializers.ModelSerializer):
    """ModelSerializer whose model datetimes are UtcDateTimeFields."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UtcDateTimeField,
    }
