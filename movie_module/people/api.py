"""People's views: profiles, follows, the feed. Thin: they parse, call a service or
selector, and answer."""

from django.http import Http404, HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api.cached_reads import CachedReadsTogether
from api.exceptions import error_responses
from api.shapes import compiled_output
from authentication.usernames import username_key
from movie_module.serializers import UserReferenceSerializer
from scrapbook.response_cache import CachedRead, cached_response, cached_value, request_key
from scrapbook.stored_answers import ANONYMOUS, PER_CALLER, answer_servable_again

from . import selectors, services
from .serializers import (
    FeedQuerySerializer,
    FeedSerializer,
    FollowedSerializer,
    FollowerSerializer,
    ProfileSerializer,
    activity_shown,
)

NOT_FOLLOWING = b'"is_following":false'
FEED_PAGE_SIZE = FeedQuerySerializer().fields["limit"].default


class UserViewSet(CachedReadsTogether, viewsets.GenericViewSet):
    """Public profiles, who follows whom, and following."""

    # Stored answers (scrapbook/stored_answers.py): a caller's profile view says whether
    # they follow this user.
    stored_answers = {"retrieve": ANONYMOUS}

    serializer_class = ProfileSerializer  # what OPTIONS describes; each action names its own
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    lookup_field = "username"
    lookup_value_regex = "[^/]+"
    filter_backends = []

    def _user(self, username: str):
        user = selectors.user_or_none(username=username)
        if user is None:
            raise Http404("No user has this username.")
        return user

    def cached_reads(self, request, *, user_id, username=None, **url_kwargs):
        if self.action != "retrieve" or username is None:
            return []
        profile_id = _user_ids_by_name.get(username_key(username))
        if profile_id is None:
            return []
        reads = [CachedRead("profile", user_id=profile_id)]
        if user_id is not None:
            reads.append(CachedRead("follows-user", key=str(profile_id), user_id=user_id))
        return reads

    @extend_schema(responses={200: ProfileSerializer, **error_responses(401, 404)})
    def retrieve(self, request, username=None):
        # The profile is the same for everyone but `is_following`: cached, rendered, until
        # the user or what their statistics count changes; `is_following` is written in.
        before, after, profile_id = self._profile_json(username)
        following = False
        if request.user.is_authenticated and request.user.pk != profile_id:
            following = cached_value(
                "follows-user",
                lambda: selectors.is_following(follower=request.user, followed_id=profile_id),
                key=str(profile_id),
                user_id=request.user.pk,
            )
        answer_servable_again()
        return HttpResponse(
            before + (b"true" if following else b"false") + after, content_type="application/json"
        )

    def _profile_json(self, username: str) -> tuple[bytes, bytes, int]:
        """The profile as JSON before and after the value of `is_following`, and the user's
        id; Http404 when nobody has this username."""
        key = username_key(username)
        profile_id = _user_ids_by_name.get(key)
        if profile_id is not None:
            shown = cached_value("profile", lambda: _profile_json(profile_id), user_id=profile_id)
            if shown is not None and shown[0] == key:
                return shown[1], shown[2], profile_id
        # Not seen yet, or the name went to somebody else since.
        profile_id = selectors.user_id_with_username(username=username)
        if profile_id is None:
            raise Http404("No user has this username.")
        if len(_user_ids_by_name) >= USER_IDS_KEPT:
            _user_ids_by_name.clear()
        _user_ids_by_name[key] = profile_id
        shown = cached_value("profile", lambda: _profile_json(profile_id), user_id=profile_id)
        if shown is None or shown[0] != key:  # renamed or deleted meanwhile
            raise Http404("No user has this username.")
        return shown[1], shown[2], profile_id

    @extend_schema(
        methods=["POST"], request=None, responses={200: None, 201: None, **error_responses(400, 401, 404)}
    )
    @extend_schema(methods=["DELETE"], request=None, responses={204: None, **error_responses(401, 404)})
    @action(detail=True, methods=["post", "delete"], permission_classes=[permissions.IsAuthenticated])
    def follow(self, request, username=None):
        """Follow (201; 200 if following already; 400 for oneself), or unfollow (DELETE: 204)."""
        followed = self._user(username)
        if request.method == "DELETE":
            services.unfollow(follower=request.user, followed=followed)
            return Response(status=status.HTTP_204_NO_CONTENT)
        try:
            _, created = services.follow(follower=request.user, followed=followed)
        except services.CannotFollowOneself:
            raise ValidationError({"username": ["You cannot follow yourself."]}) from None
        return Response(status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(responses={200: UserReferenceSerializer(many=True), **error_responses(400, 401, 404)})
    @action(detail=True, methods=["get"])
    def followers(self, request, username=None):
        page = self.paginate_queryset(selectors.followers(user=self._user(username)))
        return self.get_paginated_response(FollowerSerializer(page, many=True).data)

    @extend_schema(responses={200: UserReferenceSerializer(many=True), **error_responses(400, 401, 404)})
    @action(detail=True, methods=["get"])
    def following(self, request, username=None):
        page = self.paginate_queryset(selectors.following(user=self._user(username)))
        return self.get_paginated_response(FollowedSerializer(page, many=True).data)


class FeedView(CachedReadsTogether, APIView):
    """What the people the caller follows did, newest first, a page at a time."""

    permission_classes = [permissions.IsAuthenticated]
    stored_answers = PER_CALLER  # scrapbook/stored_answers.py

    def cached_reads(self, request, *, user_id, **url_kwargs):
        return [] if user_id is None else [CachedRead("feed", key=request_key(request), user_id=user_id)]

    @extend_schema(
        parameters=[FeedQuerySerializer], responses={200: FeedSerializer, **error_responses(400, 401)}
    )
    def get(self, request):
        limit, before = FEED_PAGE_SIZE, None  # the first page, as asked most of the time
        if request.query_params:
            query = FeedQuerySerializer(data=request.query_params)
            query.is_valid(raise_exception=True)
            limit, before = query.validated_data["limit"], query.validated_data.get("before")

        def build():
            # One more than shown tells whether there is a next page.
            rows = selectors.feed(viewer=request.user, before=before, limit=limit + 1)
            shown = rows[:limit]
            next_before = shown[-1]["id"] if len(rows) > limit else None
            return {"results": [activity_shown(row) for row in shown], "next_before": next_before}

        return cached_response(request, "feed", build=build, user_id=request.user.pk)


# username_key -> user id, for the profile's cached reads to be fetched with the caller's
# account: a hint only, since each profile answer says which name it is for.
_user_ids_by_name: dict[str, int] = {}
USER_IDS_KEPT = 100_000


def _profile_json(user_id: int) -> tuple[str, bytes, bytes] | None:
    """The username key the profile of `user_id` answers to, and its JSON before and after
    `is_following`; None when the user is gone."""
    profile = selectors.profile(user_id=user_id)
    if profile is None:
        return None
    rendered = JSONRenderer().render(compiled_output(ProfileSerializer)(profile))
    before, after = rendered.split(NOT_FOLLOWING, 1)  # no earlier field can hold it: ids, a username, a date
    return profile.username_key, before + b'"is_following":', after
