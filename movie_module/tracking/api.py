"""The watchlist and review views: thin, they parse, call a service or selector, and answer."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.cached_reads import CachedReadsTogether
from api.exceptions import error_responses
from api.filters import names_a_filter
from api.shapes import compiled_row_output
from movie_module.catalogue.api import movie_for_input
from movie_module.catalogue.selectors import prepare_summaries
from movie_module.models import IMDB_ID_PATTERN, Review, WatchlistItem
from scrapbook.response_cache import CachedRead, cached_response, cached_value, request_key
from scrapbook.stored_answers import ANONYMOUS, PER_CALLER

from . import selectors, services
from .filters import ReviewFilter, WatchlistFilter
from .serializers import (
    ReviewCreateSerializer,
    ReviewLikesSerializer,
    ReviewSerializer,
    ReviewUpdateSerializer,
    WatchlistAddSerializer,
    WatchlistItemSerializer,
    WatchlistUpdateSerializer,
)


@extend_schema_view(
    list=extend_schema(
        # The filter takes the words `true` and `false`, not any boolean spelling.
        parameters=[OpenApiParameter("watched", OpenApiTypes.STR, enum=["true", "false"])],
        responses={200: WatchlistItemSerializer(many=True), **error_responses(400, 401, 404)},
    ),
    retrieve=extend_schema(responses={200: WatchlistItemSerializer, **error_responses(401, 404)}),
    destroy=extend_schema(responses={204: None, **error_responses(401, 404)}),
)
class WatchlistViewSet(
    CachedReadsTogether,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's watchlist; another user's item answers 404."""

    stored_answers = {"list": PER_CALLER}  # scrapbook/stored_answers.py

    serializer_class = WatchlistItemSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = WatchlistFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return WatchlistItem.objects.none()
        return selectors.user_watchlist(user=self.request.user)

    def get_object(self):
        """The caller's item named in the URL, with its movie's summary, in one compiled
        query; DRF's own lookup (filters, odd ids, their 404s) for any other request."""
        item_id = self.kwargs.get("pk", "")
        if names_a_filter(self.request, WatchlistFilter) or not (
            item_id.isascii() and item_id.isdigit() and len(item_id) <= 18
        ):
            return super().get_object()
        item = selectors.own_watchlist_item(user=self.request.user, item_id=int(item_id))
        if item is None:  # another user's item too: Django's get_object_or_404 words
            raise Http404(f"No {WatchlistItem._meta.object_name} matches the given query.")
        self.check_object_permissions(self.request, item)
        return item

    def cached_reads(self, request, *, user_id, **url_kwargs):
        if self.action != "list" or user_id is None:
            return []
        return [CachedRead("watchlist", key=request_key(request), user_id=user_id)]

    @extend_schema(
        request=WatchlistAddSerializer,
        responses={200: WatchlistItemSerializer, 201: WatchlistItemSerializer, **error_responses(400, 401)},
    )
    def create(self, request):
        body = WatchlistAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        movie = movie_for_input(body.validated_data["imdb_id"])
        item, created = services.watchlist_add(user=request.user, movie=movie)
        return self._item_response(item, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        request=WatchlistUpdateSerializer,
        responses={200: WatchlistItemSerializer, **error_responses(400, 401, 404)},
    )
    def partial_update(self, request, pk=None):
        item = self.get_object()
        body = WatchlistUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.watchlist_item_set_watched(item=item, **body.validated_data)
        return self._item_response(item, status.HTTP_200_OK)

    def list(self, request):
        return cached_response(request, "watchlist", build=self._list_data, user_id=request.user.pk)

    def _list_data(self) -> dict:
        if names_a_filter(self.request, WatchlistFilter):
            page = self.paginate_queryset(selectors.watchlist_rows(self.filter_queryset(self.get_queryset())))
        else:  # the whole watchlist, newest first: compiled queries
            page = self.paginate_queryset(selectors.whole_watchlist(user=self.request.user))
        shown = compiled_row_output(WatchlistItemSerializer)
        return self.get_paginated_response([shown(row) for row in page]).data

    def retrieve(self, request, pk=None):
        return self._item_response(self.get_object(), status.HTTP_200_OK)

    def perform_destroy(self, instance):
        services.watchlist_item_delete(item=instance)

    def _item_response(self, item, status_code):
        prepare_summaries([item.movie])
        return Response(WatchlistItemSerializer(item).data, status=status_code)


class IsAuthorOrReadOnly(permissions.BasePermission):
    message = "Only the author of a review can change it."

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or obj.user_id == request.user.id


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("movie", str, pattern=IMDB_ID_PATTERN, description="An IMDb id")],
        responses={200: ReviewSerializer(many=True), **error_responses(400, 401, 404)},
    ),
    retrieve=extend_schema(responses={200: ReviewSerializer, **error_responses(401, 404)}),
    destroy=extend_schema(responses={204: None, **error_responses(401, 403, 404)}),
)
class ReviewViewSet(
    CachedReadsTogether,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Reviews: public to read, the author's to write."""

    # Stored answers (scrapbook/stored_answers.py): a caller's list shows their own likes.
    stored_answers = {"list": ANONYMOUS}

    serializer_class = ReviewSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsAuthorOrReadOnly]
    filterset_class = ReviewFilter

    def get_queryset(self):
        return selectors.review_list(viewer=self.request.user)

    def cached_reads(self, request, *, user_id, **url_kwargs):
        if self.action != "list":
            return []
        key = request_key(request) if user_id is None else request_key(request, "data")
        return [CachedRead("review-list", key=key)]

    def list(self, request):
        # The list is the same for everyone but `liked_by_me`: cached as anonymous people see
        # it, then the caller's likes of the page's reviews are written in (one query).
        def build():
            if names_a_filter(request, ReviewFilter):
                reviews = self.filter_queryset(selectors.review_order()).values_list("id", flat=True)
                page = selectors.review_rows(ids=self.paginate_queryset(reviews))
            else:  # every review, newest first: compiled queries
                page = self.paginate_queryset(selectors.all_reviews())
            shown = compiled_row_output(ReviewSerializer)
            return self.get_paginated_response([shown(row) for row in page]).data

        if not request.user.is_authenticated:
            return cached_response(request, "review-list", build=build)
        answer = cached_value("review-list", build, key=request_key(request, "data"))
        mark_liked_by(request.user, answer["results"])
        return Response(answer)

    @extend_schema(
        request=ReviewCreateSerializer, responses={201: ReviewSerializer, **error_responses(400, 401)}
    )
    def create(self, request):
        body = ReviewCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        movie = movie_for_input(fields.pop("imdb_id"))
        try:
            review = services.review_create(user=request.user, movie=movie, **fields)
        except services.AlreadyReviewed:
            raise ValidationError({"imdb_id": ["You have already reviewed this movie."]}) from None
        review.like_count, review.liked_by_me = 0, False  # nobody can have liked it yet
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ReviewUpdateSerializer,
        responses={200: ReviewSerializer, **error_responses(400, 401, 403, 404)},
    )
    def partial_update(self, request, pk=None):
        review = self.get_object()
        body = ReviewUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if body.validated_data:
            services.review_update(review=review, **body.validated_data)
        return Response(self._reread(review))

    def perform_destroy(self, instance):
        services.review_delete(review=instance)

    @extend_schema(
        methods=["POST"],
        request=None,
        responses={200: ReviewLikesSerializer, 201: ReviewLikesSerializer, **error_responses(401, 404)},
    )
    @extend_schema(methods=["DELETE"], request=None, responses={204: None, **error_responses(401, 404)})
    @action(detail=True, methods=["post", "delete"], permission_classes=[permissions.IsAuthenticated])
    def like(self, request, pk=None):
        """Like a review (201; 200 if liked already), or stop liking it (DELETE: 204)."""
        review = self.get_object()
        if request.method == "DELETE":
            services.review_unlike(user=request.user, review=review)
            return Response(status=status.HTTP_204_NO_CONTENT)
        created = services.review_like(user=request.user, review=review)
        review = self.get_queryset().get(pk=review.pk)
        return Response(
            ReviewLikesSerializer(review).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def _reread(self, review: Review):
        return ReviewSerializer(self.get_queryset().get(pk=review.pk)).data


def mark_liked_by(user, reviews: list[dict]) -> None:
    """Set `liked_by_me` on shown reviews (dicts) as `user` sees them."""
    liked = selectors.liked_review_ids(user=user, review_ids=[review["id"] for review in reviews])
    for review in reviews:
        review["liked_by_me"] = review["id"] in liked
