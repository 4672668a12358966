"""The lists' views: thin, they parse, call a service or selector, and answer."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.exceptions import error_responses
from movie_module.catalogue.api import movie_for_input
from movie_module.catalogue.selectors import prepare_summaries
from movie_module.models import MovieList

from . import selectors, services
from .serializers import (
    MAX_LIST_ITEMS,
    MovieListCreateSerializer,
    MovieListDetailSerializer,
    MovieListItemAddSerializer,
    MovieListItemSerializer,
    MovieListOrderSerializer,
    MovieListSerializer,
    MovieListUpdateSerializer,
)


class IsOwnerOrReadOnly(permissions.BasePermission):
    message = "Only the owner of a list can change it."

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or obj.owner_id == request.user.id


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("user", str, description="Only this user's lists")],
        responses={200: MovieListSerializer(many=True), **error_responses(400, 401, 404)},
    ),
    destroy=extend_schema(responses={204: None, **error_responses(401, 403, 404)}),
)
class MovieListViewSet(
    mixins.ListModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Lists: public ones are everyone's to read, the owner's to change; a private list is
    its owner's alone (404 to everyone else)."""

    serializer_class = MovieListSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsOwnerOrReadOnly]
    filter_backends = []

    def get_queryset(self):
        owner = self.request.query_params.get("user") if self.action == "list" else None
        return selectors.visible_lists(viewer=self.request.user, owner_username=owner)

    @extend_schema(
        request=MovieListCreateSerializer,
        responses={201: MovieListDetailSerializer, **error_responses(400, 401)},
    )
    def create(self, request):
        body = MovieListCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        movie_list = services.list_create(owner=request.user, **body.validated_data)
        return self._detail_response(movie_list, status.HTTP_201_CREATED)

    @extend_schema(responses={200: MovieListDetailSerializer, **error_responses(401, 404)})
    def retrieve(self, request, pk=None):
        return self._detail_response(self.get_object(), status.HTTP_200_OK, reread=False)

    @extend_schema(
        request=MovieListUpdateSerializer,
        responses={200: MovieListDetailSerializer, **error_responses(400, 401, 403, 404)},
    )
    def partial_update(self, request, pk=None):
        movie_list = self.get_object()
        body = MovieListUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.list_update(movie_list=movie_list, **body.validated_data)
        return self._detail_response(movie_list, status.HTTP_200_OK)

    def perform_destroy(self, instance):
        services.list_delete(movie_list=instance)

    @extend_schema(
        request=MovieListItemAddSerializer,
        responses={201: MovieListItemSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="items")
    def add_item(self, request, pk=None):
        movie_list = self.get_object()
        body = MovieListItemAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        movie = movie_for_input(body.validated_data["imdb_id"])
        try:
            item = services.list_item_add(
                movie_list=movie_list, movie=movie, note=body.validated_data["note"]
            )
        except services.AlreadyInList:
            raise ValidationError({"imdb_id": ["This movie is in the list already."]}) from None
        except services.ListFull:
            raise ValidationError({"imdb_id": [f"A list holds at most {MAX_LIST_ITEMS} movies."]}) from None
        prepare_summaries([item.movie])
        return Response(MovieListItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None, **error_responses(401, 403, 404)})
    @action(detail=True, methods=["delete"], url_path=r"items/(?P<imdb_id>[^/]+)")
    def remove_item(self, request, pk=None, imdb_id=None):
        movie_list = self.get_object()
        if not services.list_item_remove(movie_list=movie_list, imdb_id=imdb_id):
            raise Http404("This movie is not in the list.")
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=MovieListOrderSerializer,
        responses={200: MovieListDetailSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["put"], url_path="order")
    def order(self, request, pk=None):
        movie_list = self.get_object()
        body = MovieListOrderSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.list_reorder(movie_list=movie_list, imdb_ids=body.validated_data["imdb_ids"])
        except services.NotTheListsMovies:
            raise ValidationError({"imdb_ids": ["Name each of the list's movies exactly once."]}) from None
        return self._detail_response(movie_list, status.HTTP_200_OK)

    def _detail_response(self, movie_list: MovieList, status_code: int, *, reread: bool = True) -> Response:
        """The list with its items; read again (`reread`) after a write changed it."""
        if reread:
            movie_list = selectors.visible_lists(viewer=self.request.user).get(pk=movie_list.pk)
        movie_list.shown_items = selectors.list_items(movie_list=movie_list)
        prepare_summaries(item.movie for item in movie_list.shown_items)
        return Response(MovieListDetailSerializer(movie_list).data, status=status_code)
