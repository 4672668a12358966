"""The chat's rules on their own: rate limit slots and the database's invariants."""

import pytest
from django.db import IntegrityError

from chat import services
from chat.models import Message


def test_a_user_gets_ten_messages_then_is_rate_limited():
    taken = [services.message_rate_limit_take(user_id=1) for _ in range(11)]
    assert taken == [True] * 10 + [False]


def test_rate_limits_of_users_are_independent():
    for _ in range(10):
        services.message_rate_limit_take(user_id=1)
    assert services.message_rate_limit_take(user_id=2) is True


def test_rate_limit_slots_free_themselves_after_the_window(monkeypatch, settings):
    # Local memory, whose clock can be moved: Redis would need ten real seconds.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rules"}
    }
    clock = [1_000_000.0]
    monkeypatch.setattr("django.core.cache.backends.locmem.time.time", lambda: clock[0])
    for _ in range(10):
        assert services.message_rate_limit_take(user_id=1)
    clock[0] += services.RATE_LIMIT_WINDOW_SECONDS - 0.5
    assert services.message_rate_limit_take(user_id=1) is False
    clock[0] += 1
    assert services.message_rate_limit_take(user_id=1) is True


@pytest.mark.parametrize(
    ("room", "text"),
    [("Not Valid", "hi"), ("", "hi"), ("lobby", ""), ("lobby", "x" * 2001)],
)
def test_database_refuses_a_message_that_breaks_the_rules(db, user, room, text):
    with pytest.raises(IntegrityError):
        Message.objects.create(room=room, user=user, text=text)
