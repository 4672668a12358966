"""Upgrading a database whose accounts already share a folded username or an e-mail address
stops, lists them and changes nothing; once they are renamed, it fills every key."""

import pytest
from django.core.management import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from movie_module.tests.factories import ReviewFactory

from .factories import UserFactory

BEFORE = ("authentication", "0001_initial")
AFTER = ("authentication", "0002_username_key_and_unique_email")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state(target).apps


def migrate_forward_whatever_the_data(old_apps):
    """Leave the schema as the other tests expect it, even after a failed assertion."""
    try:
        return migrate(AFTER)
    except CommandError:
        old_apps.get_model("authentication", "User").objects.all().delete()
        return migrate(AFTER)


def user_columns():
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, "authentication_user")
    return {column.name for column in description}


@pytest.mark.django_db(transaction=True)
def test_upgrade_with_shared_names_or_addresses_stops_and_lists_them():
    carol = UserFactory(username="carol", email="carol@example.com")
    ReviewFactory(user=carol)  # rows that point at the users being updated
    old_apps = migrate(BEFORE)
    try:
        OldUser = old_apps.get_model("authentication", "User")
        alice = OldUser.objects.create(username="alice", email="alice@example.com")
        wide_alice = OldUser.objects.create(username="ａｌｉｃｅ", email="wide@example.com")
        emile = OldUser.objects.create(username="emile", email="emile@example.com")
        accented_emile = OldUser.objects.create(username="émile", email="EMILE@example.com")
        with pytest.raises(CommandError) as stopped:
            migrate(AFTER)
        assert str(stopped.value) == (
            "Cannot make usernames and e-mail addresses unique: some accounts share one.\n"
            "Usernames that are one name after Unicode normalisation and case folding:\n"
            f"  #{alice.id} 'alice', #{wide_alice.id} 'ａｌｉｃｅ'\n"
            f"  #{emile.id} 'emile', #{accented_emile.id} 'émile'\n"
            "E-mail addresses that differ only in case:\n"
            f"  #{emile.id} 'emile' <emile@example.com>, #{accented_emile.id} 'émile' <EMILE@example.com>\n"
            "Rename (or re-address) all but one account of each group, in the admin of the release "
            "you are upgrading from, or in `manage.py dbshell`, e.g.\n"
            "  UPDATE authentication_user SET username = 'alice2' WHERE id = 7;\n"
            "then run `manage.py migrate` again. Nothing has been changed."
        )
        assert "username_key" not in user_columns()
        assert MigrationExecutor(connection).loader.applied_migrations.keys() >= {BEFORE}
        assert AFTER not in MigrationExecutor(connection).loader.applied_migrations

        OldUser.objects.filter(pk=wide_alice.pk).update(username="alice2")
        OldUser.objects.filter(pk=accented_emile.pk).update(username="émile2", email="emile2@example.com")
    finally:
        new_apps = migrate_forward_whatever_the_data(old_apps)

    users = new_apps.get_model("authentication", "User").objects
    assert dict(users.values_list("username", "username_key")) == {
        "carol": "carol",
        "alice": "alice",
        "alice2": "alice2",
        "emile": "emile",
        "émile2": "emile2",
    }
