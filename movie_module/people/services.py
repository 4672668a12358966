"""Follows, and the activities the feed shows, written when they happen."""

from django.db import IntegrityError, transaction

from movie_module.models import Activity, Follow


class CannotFollowOneself(Exception):
    """A user asked to follow themselves."""


def activity_record(*, user, kind: Activity.Kind, **target) -> Activity:
    """Note for the feed that `user` did `kind` to `target` (review=, watch=, movie_list= or follow=)."""
    return Activity.objects.create(user=user, kind=kind, **target)


@transaction.atomic
def follow(*, follower, followed) -> tuple[Follow, bool]:
    """`follower` follows `followed`; returns (follow, created). Following twice, also in a
    race, returns the existing follow. Raises CannotFollowOneself."""
    if follower.pk == followed.pk:
        raise CannotFollowOneself
    try:
        with transaction.atomic():
            created = Follow.objects.create(follower=follower, followed=followed)
    except IntegrityError:
        return Follow.objects.get(follower=follower, followed=followed), False
    activity_record(user=follower, kind=Activity.Kind.FOLLOW, follow=created)
    return created, True


def unfollow(*, follower, followed) -> None:
    """Stop following; its activity goes with it. Not following is no error."""
    Follow.objects.filter(follower=follower, followed=followed).delete()
