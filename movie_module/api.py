"""Thin DRF views: parse, call a service or selector, answer."""

import json
import re

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api.exceptions import error_responses
from api.response_cache import cached_response, cached_value
from authentication.signals import USERNAMES

from . import selectors, services
from .filters import ReviewFilter, WatchlistFilter
from .imdb import sync as imdb_sync
from .models import IMDB_ID_PATTERN, Movie, Review, WatchlistItem
from .serializers import (
    MeSerializer,
    MoviePageSerializer,
    MovieSummarySerializer,
    RecommendationQuerySerializer,
    RecommendationsSerializer,
    RecommendedMovieSerializer,
    ReviewCreateSerializer,
    ReviewSerializer,
    ReviewUpdateSerializer,
    SeedReviewSerializer,
    SimilarMoviesSerializer,
    WatchlistAddSerializer,
    WatchlistItemSerializer,
    WatchlistUpdateSerializer,
)
from .signals import MOVIES, REVIEWS, WATCHLISTS, reviews_generation, watchlist_generation

IMDB_ID = re.compile(IMDB_ID_PATTERN)
NO_ME = b'"me":null}'  # how the movie page's JSON ends before `me` is written in
MOVIE_FIELDS_IN_REVIEWS = ("imdb_id", "title", "year", "poster_url")


def movie_or_404(imdb_id: str) -> Movie:
    """A movie of the catalogue, fetched from the IMDb API when missing and configured."""
    if not IMDB_ID.match(imdb_id):
        raise Http404(f"No movie has the IMDb id {imdb_id!r}.")
    movie = Movie.objects.filter(imdb_id=imdb_id).first() or imdb_sync.fetch_movie(imdb_id)
    if movie is None:
        raise Http404(f"No movie has the IMDb id {imdb_id!r}.")
    return movie


def movie_for_input(imdb_id: str) -> Movie:
    """The movie a request body names, or a 400 on `imdb_id`."""
    try:
        return movie_or_404(imdb_id)
    except Http404:
        raise ValidationError({"imdb_id": ["No movie has this IMDb id."]}) from None


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "search", {"type": "string", "maxLength": 200}, description="Words of the title"
            )
        ],
        responses={200: MovieSummarySerializer(many=True), **error_responses(400, 401, 404)},
    )
)
class MovieViewSet(viewsets.ReadOnlyModelViewSet):
    """The catalogue and the movie page."""

    serializer_class = MovieSummarySerializer
    permission_classes = [permissions.AllowAny]
    lookup_field = "imdb_id"
    lookup_value_regex = "[^/]+"
    filter_backends = []

    def get_queryset(self):
        search = self.request.query_params.get("search", "").strip()
        if len(search) > 200:
            raise ValidationError({"search": ["Ensure this field has no more than 200 characters."]})
        if search:
            imdb_sync.store_search_results(search)
        return selectors.movie_list(search=search)

    def list(self, request):
        return cached_response(request, depends_on=[MOVIES, REVIEWS], build=self._list_data)

    def _list_data(self) -> dict:
        page = self.paginate_queryset(self.get_queryset())
        selectors.attach_review_stats(page)
        return self.get_paginated_response(MovieSummarySerializer(page, many=True).data).data

    @extend_schema(responses={200: MoviePageSerializer, **error_responses(401, 404)})
    def retrieve(self, request, imdb_id=None):
        if not IMDB_ID.match(imdb_id):
            raise Http404(f"No movie has the IMDb id {imdb_id!r}.")
        # The page but `me` is the same for everyone: cached, rendered, until the movie, a
        # review or a watchlist changes. `me` is the caller's own, written into it.
        movie_id, movie_fields, shared_json = cached_value(
            f"movie-page:{imdb_id}", [MOVIES, REVIEWS, WATCHLISTS], lambda: self._shared_page(imdb_id)
        )
        me = None
        if request.user.is_authenticated:
            relation = self._relation(movie_id, request.user)
            movie = Movie(id=movie_id, **movie_fields)
            me = selectors.movie_for_user(movie=movie, user=request.user, relation=relation)
            me = MeSerializer(me).data
        if request.accepted_renderer.format != "json":  # the browsable API, with DEBUG
            return Response({**json.loads(shared_json), "me": me})
        if me is not None:
            shared_json = shared_json[: -len(NO_ME)] + b'"me":' + JSONRenderer().render(me) + b"}"
        return HttpResponse(shared_json, content_type="application/json")

    def _relation(self, movie_id: int, user) -> selectors.MovieRelation:
        """The caller's relation to the movie, from a cached map of all of theirs when it fits."""

        def all_relations():
            relations = selectors.user_movie_relations(user=user)
            return False if relations is None else relations  # False: too many, and cached so

        relations = cached_value(
            f"movie-relations:{user.pk}",
            [watchlist_generation(user.pk), reviews_generation(user.pk)],
            all_relations,
        )
        if relations is False:
            return selectors.movie_relation(movie_id=movie_id, user=user)
        return relations.get(movie_id, selectors.NO_RELATION)

    def _shared_page(self, imdb_id: str) -> tuple[int, dict, bytes]:
        """The movie's id, the fields a review shows of it, and the page as JSON with `me` null."""
        movie = selectors.movie_page(imdb_id=imdb_id)
        if not movie:
            movie_or_404(imdb_id)  # fetched from the IMDb API when it can be
            movie = selectors.movie_page(imdb_id=imdb_id)
        imdb_sync.refresh_if_stale(movie)
        shared_json = JSONRenderer().render(MoviePageSerializer(movie, context={"me": None}).data)
        assert shared_json.endswith(NO_ME)  # `me` is the page's last field
        return movie.id, {field: getattr(movie, field) for field in MOVIE_FIELDS_IN_REVIEWS}, shared_json

    @extend_schema(responses={200: ReviewSerializer(many=True), **error_responses(401, 404)})
    @action(detail=True, methods=["get"])
    def reviews(self, request, imdb_id=None):
        movie = movie_or_404(imdb_id)
        page = self.paginate_queryset(selectors.review_list().filter(movie=movie))
        return self.get_paginated_response(ReviewSerializer(page, many=True).data)

    @extend_schema(
        parameters=[RecommendationQuerySerializer],
        responses={200: SimilarMoviesSerializer, **error_responses(400, 401, 404)},
    )
    @action(detail=True, methods=["get"])
    def similar(self, request, imdb_id=None):
        query = RecommendationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        movie = movie_or_404(imdb_id)
        recommended = services.similar_titles(movie=movie, limit=query.validated_data["limit"])
        return Response({"results": resolved(recommended)})


def resolved(recommended) -> list[dict]:
    """`(title, score)` pairs with the movie each names, in the API's shape."""
    movies = selectors.movies_for_recommendations(recommended)
    return RecommendedMovieSerializer(list(zip(recommended, movies, strict=True)), many=True).data


class RecommendationsView(APIView):
    """What the caller may like next, from the similarity model over their reviews."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[RecommendationQuerySerializer],
        responses={200: RecommendationsSerializer, **error_responses(400, 401)},
    )
    def get(self, request):
        query = RecommendationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        answer = services.recommend_for_user(user=request.user, limit=query.validated_data["limit"])
        return Response(
            {
                "source": answer.source,
                "based_on": SeedReviewSerializer(answer.based_on, many=True).data,
                "results": resolved(answer.titles),
            }
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
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's watchlist; another user's item answers 404."""

    serializer_class = WatchlistItemSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = WatchlistFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return WatchlistItem.objects.none()
        return selectors.user_watchlist(user=self.request.user)

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
        return cached_response(
            request,
            depends_on=[watchlist_generation(request.user.pk), MOVIES, REVIEWS],
            build=self._list_data,
            key_parts=[request.user.pk],
        )

    def _list_data(self) -> dict:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        selectors.attach_review_stats(item.movie for item in page)
        return self.get_paginated_response(WatchlistItemSerializer(page, many=True).data).data

    def retrieve(self, request, pk=None):
        return self._item_response(self.get_object(), status.HTTP_200_OK)

    def perform_destroy(self, instance):
        services.watchlist_item_delete(item=instance)

    def _item_response(self, item, status_code):
        selectors.attach_review_stats([item.movie])
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
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Reviews: public to read, the author's to write."""

    serializer_class = ReviewSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsAuthorOrReadOnly]
    filterset_class = ReviewFilter

    def get_queryset(self):
        return selectors.review_list()

    def list(self, request):
        uncached_list = super().list
        return cached_response(
            request, depends_on=[REVIEWS, MOVIES, USERNAMES], build=lambda: uncached_list(request).data
        )

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
        return Response(self._reread(review), status=status.HTTP_201_CREATED)

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

    def _reread(self, review: Review):
        return ReviewSerializer(self.get_queryset().get(pk=review.pk)).data
