"""The wire shapes of the People section of ../shared/API.md: profiles, follows, the feed."""

from rest_framework import serializers

from api.shapes import FastOutput, compiled_output
from movie_module.diary.serializers import WatchSerializer
from movie_module.lists.serializers import MovieListSerializer
from movie_module.models import Activity
from movie_module.serializers import MeanRatingField, UserReferenceSerializer
from movie_module.tracking.serializers import ReviewSerializer


class GenreCountSerializer(serializers.Serializer):
    name = serializers.CharField()
    count = serializers.IntegerField()


# Shows a selectors.ProfileStats.
class ProfileStatsSerializer(serializers.Serializer):
    watched = serializers.IntegerField()
    reviews = serializers.IntegerField()
    average_rating = MeanRatingField(allow_null=True)
    watched_by_year = serializers.DictField(child=serializers.IntegerField(), help_text='{"2024": 12}')
    top_genres = GenreCountSerializer(many=True)


# Shows a user from selectors.profile_user, with `stats` set by the view.
class ProfileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    date_joined = serializers.DateTimeField()
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


# Shows an Activity: the key of its kind only (`review`, `watch`, `list` or `followed`).
class ActivitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Activity.Kind.choices)
    user = UserReferenceSerializer()
    created_at = serializers.DateTimeField()
    review = ReviewSerializer(required=False)
    watch = WatchSerializer(required=False)
    list = MovieListSerializer(required=False)
    followed = UserReferenceSerializer(required=False)

    def to_representation(self, activity):
        shown = {
            "id": activity.id,
            "kind": activity.kind,
            "user": {"id": activity.user.id, "username": activity.user.username},
            "created_at": self.fields["created_at"].to_representation(activity.created_at),
        }
        if activity.kind == Activity.Kind.REVIEW:
            shown["review"] = compiled_output(ReviewSerializer)(activity.review)
        elif activity.kind == Activity.Kind.WATCH:
            shown["watch"] = compiled_output(WatchSerializer)(activity.watch)
        elif activity.kind == Activity.Kind.LIST:
            shown["list"] = compiled_output(MovieListSerializer)(activity.movie_list)
        else:
            followed = activity.follow.followed
            shown["followed"] = {"id": followed.id, "username": followed.username}
        return shown


# Shows {"results": [Activity], "next_before"}.
class FeedSerializer(serializers.Serializer):
    results = ActivitySerializer(many=True)
    next_before = serializers.IntegerField(allow_null=True)
