"""The folded username: one function, and a key that every way of writing a user keeps."""

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from authentication.usernames import username_key

from .factories import UserFactory

User = get_user_model()


@pytest.mark.parametrize(
    "name, key",
    [
        ("alice", "alice"),
        ("ALICE", "alice"),
        ("ａｌｉｃｅ", "alice"),
        ("ALİCE", "alice"),
        ("ÉMILE", "emile"),
        ("e\u0301mile", "emile"),
        ("\u212aim", "kim"),
        ("Straße", "strasse"),
        ("ǅemal", "dzemal"),  # the titlecase digraph: NFKC, then folded
        ("й", "й"),  # Cyrillic: the breve makes another letter, and stays
        ("ΆΛΦΑ", "άλφα"),  # Greek accents stay too
        ("ΣΟΦΟΣ", "σοφοσ"),
    ],
)
def test_username_key_folds_look_alikes_together(name, key):
    assert username_key(name) == key
    assert username_key(key) == key


@pytest.mark.django_db
def test_save_sets_the_key_and_a_rename_moves_it():
    user = User.objects.create_user(username="ÉMILE", password="x")
    assert User.objects.get(pk=user.pk).username_key == "emile"
    user.username = "Zoë"
    user.save(update_fields=["username"])
    assert User.objects.get(pk=user.pk).username_key == "zoe"


@pytest.mark.django_db
def test_the_factory_sets_the_key():
    assert UserFactory(username="ＢＯＢ").username_key == "bob"


@pytest.mark.django_db
def test_bulk_create_sets_the_key():
    # As the benchmark scripts (bench/*.py) create their users.
    User.objects.bulk_create(User(username=f"Bench{n}", email=f"bench{n}@example.com") for n in range(3))
    assert sorted(User.objects.values_list("username_key", flat=True)) == ["bench0", "bench1", "bench2"]


@pytest.mark.django_db
def test_the_database_refuses_a_second_account_with_the_same_key():
    UserFactory(username="alice")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(username="ａｌｉｃｅ", email="other@example.com")])
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_second_account_with_the_same_address_in_another_case():
    UserFactory(username="alice", email="alice@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="bob", email="ALICE@example.com")
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_many_accounts_may_have_no_email():
    User.objects.create(username="one", email="")
    User.objects.create(username="two", email="")
    assert User.objects.count() == 2


def test_an_ascii_name_folds_as_the_full_unicode_fold_would():
    import random
    import string

    from authentication.usernames import unicode_fold

    names = ["".join(chr(code) for code in range(128)), string.printable, "Alice_Smith.99", ""]
    rng = random.Random(3)
    names += [
        "".join(rng.choices([chr(code) for code in range(128)], k=rng.randint(1, 40))) for _ in range(500)
    ]
    assert [username_key(name) for name in names] == [unicode_fold(name) for name in names]
