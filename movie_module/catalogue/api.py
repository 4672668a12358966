"""The catalogue's views: the movie list and search, the movie page, its reviews and similar movies."""

import functools
import re

from django.conf import settings
from django.http import Http404, HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api.cached_reads import CachedReadsTogether
from api.exceptions import error_responses
from api.shapes import compiled_output, compiled_row_output, output_columns
from movie_module.models import IMDB_ID_PATTERN, Movie
from movie_module.recommendations import services as recommendations
from movie_module.recommendations.api import recommended_movies
from movie_module.recommendations.serializers import RecommendationQuerySerializer, SimilarMoviesSerializer
from movie_module.serializers import MovieSummarySerializer
from movie_module.tracking import selectors as tracking_selectors
from movie_module.tracking.selectors import MovieForUser
from movie_module.tracking.serializers import MeSerializer, ReviewSerializer
from scrapbook.response_cache import (
    CachedRead,
    cached_response,
    cached_value,
    generation_tokens,
    request_key,
    store_answers,
)
from scrapbook.stored_answers import (
    COMPOSED,
    SHARED,
    Composition,
    answer_servable_again,
    record_caller_parts,
)

from . import selectors
from . import services as imdb_sync
from .filters import MovieBrowseFilter
from .serializers import GenreListSerializer, MoviePageSerializer

IMDB_ID = re.compile(IMDB_ID_PATTERN)

# IMDb id -> the movie's id, for the page's cached read, which depends on that movie's
# reviews and watchlist items, to be fetched with the caller's: a hint only, since each
# page says which movie it shows.
_movie_ids: dict[str, int] = {}
MOVIE_IDS_KEPT = 100_000


NO_ME = b'"me":null}'  # how the movie page's JSON ends before `me` is written in
NO_REVIEW = b'"review":null}'  # how `me` ends before the caller's review is written in
# The movie page's field that is no column of selectors.movie_page_row, and its key for it.
PAGE_FIELDS_IN_ROW = (("me", "me"),)


def _imdb_id_in_url(url_kwargs: dict) -> str | None:
    imdb_id = url_kwargs.get("imdb_id")
    return imdb_id if isinstance(imdb_id, str) and IMDB_ID.fullmatch(imdb_id) else None


# A caller's movie page, composed where stored answers are served (scrapbook/stored_answers.py):
# the anonymous page with the caller's `me` written in, from their `me` of every movie,
# built from their account and their relations' map. A movie they reviewed: Django's.
MOVIE_PAGE_FOR_A_CALLER = Composition(
    name="movie-page-me",
    anonymous_end=NO_ME,
    hole=b"null",
    item=_imdb_id_in_url,
    shared_reads=("movie-page",),
    caller_reads=("auth-user", "movie-relations"),
)


def movie_columns_in_reviews() -> list[str]:
    """The movie's columns that a review shows of it (the caller's review in `me`)."""
    prefix = "movie__"
    return [column[len(prefix) :] for column in output_columns(ReviewSerializer) if column.startswith(prefix)]


def movie_or_404(imdb_id: str) -> Movie:
    """A movie of the catalogue, fetched from the IMDb API when missing and configured."""
    if not IMDB_ID.match(imdb_id):
        raise Http404(f"No movie has the IMDb id {imdb_id!r}.")
    movie = selectors.movie_in_writes(imdb_id=imdb_id) or imdb_sync.fetch_movie(imdb_id)
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
            ),
        ],
        responses={200: MovieSummarySerializer(many=True), **error_responses(400, 401, 404)},
    )
)
class MovieViewSet(CachedReadsTogether, viewsets.ReadOnlyModelViewSet):
    """The catalogue and the movie page."""

    # Stored answers (scrapbook/stored_answers.py): the list is everyone's; the page's `me`
    # block is each caller's own, written into the anonymous page.
    stored_answers = {"list": SHARED, "retrieve": COMPOSED}
    composition = MOVIE_PAGE_FOR_A_CALLER

    serializer_class = MovieSummarySerializer
    permission_classes = [permissions.AllowAny]
    lookup_field = "imdb_id"
    lookup_value_regex = "[^/]+"
    # The browse filters (genre, years, ordering) apply to whatever list the search gives.
    filterset_class = MovieBrowseFilter

    def search_text(self) -> str:
        search = self.request.query_params.get("search", "").strip()
        if len(search) > 200:
            raise ValidationError({"search": ["Ensure this field has no more than 200 characters."]})
        return search

    def get_queryset(self):
        return selectors.movie_list(search=self.search_text())

    def list(self, request):
        return cached_response(request, "movie-list", build=self._list_data)

    def _list_data(self) -> dict:
        search = self.search_text()
        # Filters given no value change nothing: a list that names none skips building them.
        browsing = any(name in self.request.query_params for name in MovieBrowseFilter.base_filters)
        browse = (
            MovieBrowseFilter(self.request.query_params, queryset=Movie.objects.none()) if browsing else None
        )
        if browse is not None and not browse.is_valid():  # before asking the IMDb API anything
            raise ValidationError(browse.errors)
        if search:
            # When the IMDb API is configured, the titles it finds join the catalogue first.
            imdb_sync.store_search_results(search)
        if search or browse is not None:
            movies = selectors.movie_list(search=search)
            if browse is not None:
                movies = browse.filter_queryset(movies)
            page = selectors.summaries_of(self.paginate_queryset(movies.values_list("id", flat=True)))
        else:  # the whole catalogue by title: compiled queries
            page = self.paginate_queryset(selectors.whole_catalogue())
        shown = compiled_row_output(MovieSummarySerializer)
        return self.get_paginated_response([shown(row) for row in page]).data

    def cached_reads(self, request, *, user_id, imdb_id=None, **url_kwargs):
        if self.action == "list":
            return [CachedRead("movie-list", key=request_key(request))]
        if self.action != "retrieve" or not imdb_id or not IMDB_ID.match(imdb_id):
            return []
        movie_id = _movie_ids.get(imdb_id)
        reads = [] if movie_id is None else [CachedRead("movie-page", key=imdb_id, movie_id=movie_id)]
        if user_id is not None:
            reads += [
                CachedRead("movie-relations", user_id=user_id),
                CachedRead("own-review", key=imdb_id, user_id=user_id),
            ]
        return reads

    @extend_schema(responses={200: MoviePageSerializer, **error_responses(401, 404)})
    def retrieve(self, request, imdb_id=None):
        if not IMDB_ID.match(imdb_id):
            raise Http404(f"No movie has the IMDb id {imdb_id!r}.")
        # The page but `me` is the same for everyone: cached, rendered, until the movie, one
        # of its reviews or watchlist items changes. `me` is the caller's own, written into
        # it. Every cached part came in the one round trip of `cached_reads`.
        page = self._page(imdb_id)
        if page is None:  # not in the catalogue: the IMDb API's, when configured, or a 404
            movie_or_404(imdb_id)
            page = self._page(imdb_id)
        if page[2] is None and imdb_sync.fetch_missing_details(imdb_id=imdb_id):
            # Details never fetched (a movie found by a search) are fetched before answering;
            # storing them made the page without them stale.
            page = self._page(imdb_id)
        movie_id, movie_fields, refreshed_at, shared_json = page
        # Details that are merely old are refreshed in the background; this page does not wait.
        refresh_queued = refreshed_at is not None and imdb_sync.refresh_if_stale(
            Movie(imdb_id=imdb_id, refreshed_at=refreshed_at)
        )
        if not refresh_queued and (refreshed_at is not None or imdb_sync.get_client() is None):
            # No IMDb work this page starts: the same request may get this answer again.
            answer_servable_again()
        if request.user.is_authenticated:
            me = self._me_json(movie_id, movie_fields, request.user)
            record_caller_parts(shared_json, functools.partial(self._me_of_every_movie, request.user))
            shared_json = shared_json[: -len(NO_ME)] + b'"me":' + me + b"}"
        return HttpResponse(shared_json, content_type="application/json")

    @staticmethod
    def _me_block(watchlist_id: int | None, watched: bool) -> bytes:
        """`me` without the caller's review, as JSON: MeSerializer's output (FastOutput)
        without building a serializer for each request."""
        me = MovieForUser(
            in_watchlist=watchlist_id is not None, watched=watched, watchlist_id=watchlist_id, review=None
        )
        return JSONRenderer().render(compiled_output(MeSerializer)(me))

    def _me_of_every_movie(self, user) -> tuple[bytes, dict] | None:
        """The caller's `me` on any movie's page: `(on a movie they neither listed nor
        reviewed, {IMDb id: on that movie, or None for one they reviewed})`; None when their
        relations are too many to hold in one map."""
        relations = self._relations(user)
        if relations is False:
            return None
        imdb_ids = selectors.imdb_ids_of(movie_ids=list(relations))
        mine = {
            imdb_ids[movie_id]: None if review_id is not None else self._me_block(watchlist_id, watched)
            for movie_id, (watchlist_id, watched, review_id) in relations.items()
            if movie_id in imdb_ids
        }
        return self._me_block(None, False), mine

    def _me_json(self, movie_id: int, movie_fields: dict, user) -> bytes:
        """The caller's `me` block as JSON: their watchlist item from the cached map of all
        their movies, their review of this movie (`movie_fields`: what it shows of the
        movie) as cached on its own."""
        watchlist_id, watched, review_id = self._relation(movie_id, user)
        me_json = self._me_block(watchlist_id, watched)
        assert me_json.endswith(NO_REVIEW)  # `review` is the block's last field
        if review_id is None:
            return me_json

        def review_json():
            movie = Movie(id=movie_id, **movie_fields)
            review = tracking_selectors.own_review(review_id=review_id, movie=movie, user=user)
            return None if review is None else JSONRenderer().render(ReviewSerializer(review).data)

        review = cached_value("own-review", review_json, key=movie_fields["imdb_id"], user_id=user.pk)
        return me_json if review is None else me_json[: -len(NO_REVIEW)] + b'"review":' + review + b"}"

    def _relation(self, movie_id: int, user) -> tracking_selectors.MovieRelation:
        """The caller's relation to the movie, from a cached map of all of theirs when it fits."""
        if settings.API_CACHE_SECONDS <= 0:  # nothing kept: this movie's relation alone is cheaper
            return tracking_selectors.movie_relation(movie_id=movie_id, user=user)
        relations = self._relations(user)
        if relations is False:
            return tracking_selectors.movie_relation(movie_id=movie_id, user=user)
        return relations.get(movie_id, tracking_selectors.NO_RELATION)

    def _relations(self, user) -> dict | bool:
        """The cached map of the caller's relations to movies, by movie id; False when they
        have too many for one map."""

        def all_relations():
            # Their reviews, as their pages show them, read with the map: one query for all
            # rather than one per page that shows one of them.
            tokens = generation_tokens("own-review", user_id=user.pk)
            relations = tracking_selectors.user_movie_relations(user=user)
            if relations is not None and any(review_id for _, _, review_id in relations.values()):
                reviews = tracking_selectors.own_review_rows(user=user)
                shown = compiled_row_output(ReviewSerializer)
                answers = {row["movie__imdb_id"]: JSONRenderer().render(shown(row)) for row in reviews}
                store_answers("own-review", answers, tokens=tokens, user_id=user.pk)
            return False if relations is None else relations  # False: too many, and cached so

        return cached_value("movie-relations", all_relations, user_id=user.pk)

    def _page(self, imdb_id: str):
        """The cached shared page of `imdb_id` (see `_shared_page`); None when no such movie."""
        movie_id = _movie_ids.get(imdb_id)
        if movie_id is not None:
            page = cached_value(
                "movie-page", lambda: self._shared_page(imdb_id), key=imdb_id, movie_id=movie_id
            )
            if page is not None and page[0] == movie_id:
                return page
        # Not seen yet, or the IMDb id names another row since (deleted, stored again).
        movie_id = selectors.movie_id_with_imdb_id(imdb_id=imdb_id)
        if movie_id is None:
            return None
        if len(_movie_ids) >= MOVIE_IDS_KEPT:
            _movie_ids.clear()
        _movie_ids[imdb_id] = movie_id
        page = cached_value("movie-page", lambda: self._shared_page(imdb_id), key=imdb_id, movie_id=movie_id)
        return page if page is not None and page[0] == movie_id else None

    def _shared_page(self, imdb_id: str):
        """The movie's id, the fields a review shows of it, when its details were fetched, and
        the page as JSON with `me` null; None when the catalogue has no such movie."""
        row = selectors.movie_page_row(imdb_id=imdb_id)
        if row is None:
            return None
        row["me"] = None  # nobody's: each caller's is written in
        page = compiled_row_output(MoviePageSerializer, "", PAGE_FIELDS_IN_ROW)(row)
        shared_json = JSONRenderer().render(page)
        assert shared_json.endswith(NO_ME)  # `me` is the page's last field
        in_reviews = {column: row[column] for column in movie_columns_in_reviews()}
        return row["id"], in_reviews, row["refreshed_at"], shared_json

    # The browse filters are the list's, not its reviews'.
    @extend_schema(responses={200: ReviewSerializer(many=True), **error_responses(401, 404)}, filters=False)
    @action(detail=True, methods=["get"])
    def reviews(self, request, imdb_id=None):
        movie = movie_or_404(imdb_id)
        page = self.paginate_queryset(tracking_selectors.review_list(viewer=request.user).filter(movie=movie))
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
        recommended = recommendations.similar_titles(movie=movie, limit=query.validated_data["limit"])
        return Response({"results": recommended_movies(recommended)})


class GenreListView(APIView):
    """Every genre with its number of movies, by name."""

    stored_answers = SHARED

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: GenreListSerializer, **error_responses(401)})
    def get(self, request):
        return cached_response(request, "genre-list", build=self._data)

    def _data(self) -> dict:
        return GenreListSerializer({"results": selectors.genre_list()}).data
