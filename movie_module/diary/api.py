"""The diary's views: thin, they parse, call a service or selector, and answer."""

import django_filters
from django import forms
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.response import Response

from api.exceptions import error_responses
from movie_module.catalogue.api import movie_for_input
from movie_module.models import IMDB_ID_PATTERN, Watch, imdb_id_validator

from . import selectors, services
from .serializers import WatchCreateSerializer, WatchSerializer, WatchUpdateSerializer


class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField  # a year is a whole number: `2024.5` is a 400


class DiaryFilter(django_filters.FilterSet):
    movie = django_filters.CharFilter(field_name="movie__imdb_id", validators=[imdb_id_validator])
    year = YearFilter(field_name="watched_on", lookup_expr="year", min_value=1, max_value=9999)

    class Meta:
        model = Watch
        fields = ["movie", "year"]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("year", {"type": "integer", "minimum": 1, "maximum": 9999}),
            OpenApiParameter("movie", str, pattern=IMDB_ID_PATTERN, description="An IMDb id"),
        ],
        responses={200: WatchSerializer(many=True), **error_responses(400, 401, 404)},
    ),
    retrieve=extend_schema(responses={200: WatchSerializer, **error_responses(401, 404)}),
    destroy=extend_schema(responses={204: None, **error_responses(401, 404)}),
)
class DiaryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's diary: one watch per viewing; another user's watch answers 404."""

    serializer_class = WatchSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = DiaryFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Watch.objects.none()
        return selectors.user_diary(user=self.request.user)

    @extend_schema(
        request=WatchCreateSerializer, responses={201: WatchSerializer, **error_responses(400, 401)}
    )
    def create(self, request):
        body = WatchCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        movie = movie_for_input(fields.pop("imdb_id"))
        watch = services.watch_create(user=request.user, movie=movie, **fields)
        return Response(self._reread(watch), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=WatchUpdateSerializer, responses={200: WatchSerializer, **error_responses(400, 401, 404)}
    )
    def partial_update(self, request, pk=None):
        watch = self.get_object()
        body = WatchUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.watch_update(watch=watch, **body.validated_data)
        return Response(self._reread(watch))

    def perform_destroy(self, instance):
        services.watch_delete(watch=instance)

    def _reread(self, watch: Watch) -> dict:
        return WatchSerializer(self.get_queryset().get(pk=watch.pk)).data
