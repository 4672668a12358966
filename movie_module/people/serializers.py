"""The wire shapes of the People section of ../shared/API.md: profiles, follows, the feed."""

from rest_framework import serializers

from api.serializers import UtcDateTimeField
from api.shapes import FastOutput, compiled_row_output, field_output
from movie_module.diary.serializers import WatchSerializer
from movie_module.lists.serializers import MovieListSerializer
from movie_module.models import Activity
from movie_module.serializers import MeanRatingField, UserReferenceSerializer
from movie_module.tracking.serializers import ReviewSerializer


class GenreCountSerializer(serializers.Serializer):
    name = serializers.CharField()
    count = serializers.IntegerField()


# Shows a selectors.ProfileStats.
class ProfileStatsSerializer(FastOutput, serializers.Serializer):
    watched = serializers.IntegerField()
    reviews = serializers.IntegerField()
    average_rating = MeanRatingField(allow_null=True)
    watched_by_year = serializers.DictField(child=serializers.IntegerField(), help_text='{"2024": 12}')
    top_genres = GenreCountSerializer(many=True)


# Shows a selectors.Profile with its `is_following` (api.ShownProfile).
class ProfileSerializer(FastOutput, serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    date_joined = UtcDateTimeField()
    followers_count = serializers.IntegerField()
    following_count = serializers.IntegerField()
    is_following = serializers.BooleanField()
    stats = ProfileStatsSerializer()


# Shows a Follow, as its follower.
class FollowerSerializer(FastOutput, serializers.Serializer):
    id = serializers.IntegerField(source="follower.id")
    username = serializers.CharField(source="follower.username")


# Shows a Follow, as the person followed.
class FollowedSerializer(FastOutput, serializers.Serializer):
    id = serializers.IntegerField(source="followed.id")
    username = serializers.CharField(source="followed.username")


class FeedQuerySerializer(serializers.Serializer):
    before = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)


def activity_shown(row: dict) -> dict:
    """An activity as the feed shows it, from a row of people.selectors.feed: the key of its
    kind only (`review`, `watch`, `list` or `followed`)."""
    kind = row["kind"]
    shown = {
        "id": row["id"],
        "kind": kind,
        "user": {"id": row["user__id"], "username": row["user__username"]},
        "created_at": _show_created_at(row["created_at"]),
    }
    if kind == Activity.Kind.REVIEW:
        # The author of a review and the owner of a list are the activity's user.
        likes = (
            ("like_count", "review_like_count"),
            ("liked_by_me", "review_liked_by_me"),
            ("user", "user__"),
        )
        shown["review"] = compiled_row_output(ReviewSerializer, "review__", likes)(row)
    elif kind == Activity.Kind.WATCH:
        rewatch = (("rewatch", "watch_rewatch"),)
        shown["watch"] = compiled_row_output(WatchSerializer, "watch__", rewatch)(row)
    elif kind == Activity.Kind.LIST:
        items = (("item_count", "list_item_count"), ("owner", "user__"))
        shown["list"] = compiled_row_output(MovieListSerializer, "movie_list__", items)(row)
    else:
        shown["followed"] = {"id": row["follow__followed_id"], "username": row["follow__followed__username"]}
    return shown


_show_created_at = field_output(UtcDateTimeField())


# Shows a row of people.selectors.feed (activity_shown).
class ActivitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Activity.Kind.choices)
    user = UserReferenceSerializer()
    created_at = UtcDateTimeField()
    review = ReviewSerializer(required=False)
    watch = WatchSerializer(required=False)
    list = MovieListSerializer(required=False)
    followed = UserReferenceSerializer(required=False)

    def to_representation(self, row):
        return activity_shown(row)


# Shows {"results": [Activity], "next_before"}.
class FeedSerializer(serializers.Serializer):
    results = ActivitySerializer(many=True)
    next_before = serializers.IntegerField(allow_null=True)
