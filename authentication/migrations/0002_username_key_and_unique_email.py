"""Usernames unique once folded (username_key), e-mail addresses unique in any case.

Accounts that already share a folded name or an address stop the migration, listed, before
anything changes: which account keeps a name is a decision for a person, not a guess.
"""

import authentication.emails
import authentication.usernames
import django.contrib.auth.validators
import django.db.models.functions.text
from django.core.management.base import CommandError
from django.db import migrations, models
from django.db.models.functions import Lower

from authentication.usernames import username_key


def duplicate_accounts_report(apps, using: str) -> str:
    """The groups of accounts that share a folded username or an e-mail address in any case,
    one line each; "" when there are none."""
    User = apps.get_model("authentication", "User")
    by_name, by_email = {}, {}
    # Addresses lowered by the database, as the unique constraint on LOWER(email) compares them.
    accounts = (
        User.objects.using(using)
        .annotate(email_lower=Lower("email"))
        .only("id", "username", "email")
        .order_by("id")
    )
    for account in accounts.iterator():
        by_name.setdefault(username_key(account.username), []).append(account)
        if account.email:
            by_email.setdefault(account.email_lower, []).append(account)
    lines = []
    name_groups = [group for group in by_name.values() if len(group) > 1]
    if name_groups:
        lines.append("Usernames that are one name after Unicode normalisation and case folding:")
        lines += ["  " + ", ".join(f"#{a.id} {a.username!r}" for a in group) for group in name_groups]
    email_groups = [group for group in by_email.values() if len(group) > 1]
    if email_groups:
        lines.append("E-mail addresses that differ only in case:")
        lines += [
            "  " + ", ".join(f"#{a.id} {a.username!r} <{a.email}>" for a in group) for group in email_groups
        ]
    return "\n".join(lines)


def fill_username_keys(apps, schema_editor):
    using = schema_editor.connection.alias
    report = duplicate_accounts_report(apps, using)
    if report:
        raise CommandError(
            "Cannot make usernames and e-mail addresses unique: some accounts share one.\n"
            f"{report}\n"
            "Rename (or re-address) all but one account of each group, in the admin of the release "
            "you are upgrading from, or in `manage.py dbshell`, e.g.\n"
            "  UPDATE authentication_user SET username = 'alice2' WHERE id = 7;\n"
            "then run `manage.py migrate` again. Nothing has been changed."
        )
    User = apps.get_model("authentication", "User")
    accounts = list(User.objects.using(using).only("id", "username"))
    for account in accounts:
        account.username_key = username_key(account.username)
    User.objects.using(using).bulk_update(accounts, ["username_key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("authentication", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="username_key",
            field=models.TextField(editable=False, null=True),
        ),
        migrations.RunPython(fill_username_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="username_key",
            field=models.TextField(editable=False),
        ),
        migrations.RemoveConstraint(
            model_name="user",
            name="user_username_ci_unique",
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                fields=("username_key",),
                name="user_username_key_unique",
                violation_error_message="A user with that username already exists.",
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("email"),
                condition=models.Q(("email", ""), _negated=True),
                name="user_email_ci_unique",
                violation_error_message="A user with that e-mail address already exists.",
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="email",
            field=models.EmailField(
                blank=True,
                max_length=254,
                validators=[authentication.emails.validate_ascii_local_part],
                verbose_name="email address",
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="username",
            field=models.CharField(
                error_messages={"unique": "A user with that username already exists."},
                help_text="Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only.",
                max_length=150,
                unique=True,
                validators=[
                    django.contrib.auth.validators.UnicodeUsernameValidator(),
                    authentication.usernames.validate_one_alphabet,
                ],
                verbose_name="username",
            ),
        ),
    ]
