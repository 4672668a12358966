"""People's views: profiles, follows, the feed. Thin: they parse, call a service or
selector, and answer."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.exceptions import error_responses
from movie_module.serializers import UserReferenceSerializer

from . import selectors, services
from .serializers import (
    FeedQuerySerializer,
    FeedSerializer,
    FollowedSerializer,
    FollowerSerializer,
    ProfileSerializer,
)


class UserViewSet(viewsets.GenericViewSet):
    """Public profiles, who follows whom, and following."""

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

    @extend_schema(responses={200: ProfileSerializer, **error_responses(401, 404)})
    def retrieve(self, request, username=None):
        user = selectors.profile_user(username=username, viewer=request.user)
        if user is None:
            raise Http404("No user has this username.")
        user.stats = selectors.profile_stats(user=user)
        return Response(ProfileSerializer(user).data)

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


class FeedView(APIView):
    """What the people the caller follows did, newest first, a page at a time."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[FeedQuerySerializer], responses={200: FeedSerializer, **error_responses(400, 401)}
    )
    def get(self, request):
        query = FeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        limit = query.validated_data["limit"]
        # One more than shown tells whether there is a next page.
        activities = selectors.feed(
            viewer=request.user, before=query.validated_data.get("before"), limit=limit + 1
        )
        shown = activities[:limit]
        next_before = shown[-1].id if len(activities) > limit else None
        return Response(FeedSerializer({"results": shown, "next_before": next_before}).data)
