"""Reads of the catalogue: lists, search and the movie page, shaped once so each list runs a
constant number of queries."""

from collections.abc import Iterable
from datetime import timedelta

from django.db.models import (
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from api.pagination import CompiledList, counted, list_length, rows_in_order
from api.shapes import output_columns
from movie_module.imdb.matching import wanted_title
from movie_module.models import Genre, Movie, MovieGenre, WatchlistItem
from movie_module.serializers import MovieSummarySerializer
from movie_module.subqueries import AmongIds, ListedValues, count_of, instance_from_row
from scrapbook.internals.django_compiled_queries import CompiledQuery

from .search import search_movies
from .serializers import MoviePageSerializer


def _genre_links(*, movie_ids: list[int]) -> QuerySet:
    return (
        MovieGenre.objects.filter(movie_id__in=movie_ids)
        .order_by("genre__name")
        .values("movie_id", "genre__name")
    )


GENRE_LINKS = CompiledQuery(_genre_links)


def genre_names_of(movie_ids: list[int]) -> dict[int, list[str]]:
    """Each movie's genres' names, by name, in one query whatever the number of movies."""
    names = {movie_id: [] for movie_id in movie_ids}
    if movie_ids:
        for link in GENRE_LINKS.rows(values={"movie_ids": list(dict.fromkeys(movie_ids))}):
            names[link["movie_id"]].append(link["genre__name"])
    return names


def prepare_summaries(movies: Iterable[Movie]) -> list[Movie]:
    """The movies of a page, ready to be shown as summaries: their genres read in one query
    for the whole page whatever its size (a compiled query: cheaper than a prefetch, whose
    related managers cost more than the page's own query)."""
    movies = list(movies)
    names = genre_names_of([movie.id for movie in movies])
    for movie in movies:
        movie.read_genre_names = names[movie.id]
    return movies


def movie_list(*, search: str = "") -> QuerySet:
    """The catalogue by title, or the movies the search finds, best match first
    (catalogue/search.py: case, accents and a typo forgiven, alternate titles included)."""
    # What a summary shows: not the plot, cast and directors, whose JSON decoding costs
    # more than the rest of a row.
    summary_columns = output_columns(MovieSummarySerializer)
    if not (search or "").strip():
        return Movie.objects.only(*summary_columns).order_by("title", "id")
    return search_movies(search).only(*summary_columns)


def genre_names(*, movie: str) -> ListedValues:
    """The names of the genres of the movie whose id is the column `movie`, by name, as a
    column of the reading query."""
    return ListedValues(MovieGenre.objects.filter(movie_id=OuterRef(movie)), "genre__name")


def summary_rows(movies: QuerySet, **columns) -> QuerySet:
    """The movies as rows of what a summary shows, their `genre_names` included: no model
    instances to build, for a page that is rendered at once."""
    return movies.values(
        "id", *output_columns(MovieSummarySerializer), genre_names=genre_names(movie="id"), **columns
    )


SUMMARIES_WITH_IDS = CompiledQuery(lambda *, ids: summary_rows(Movie.objects.filter(id__in=ids)))


def summaries_of(ids: list[int]) -> list[dict]:
    """The movies `ids`, in that order, as `summary_rows`: one compiled query whatever the
    ordering that chose them. A searched or browsed list is paged by its ids first, so that
    the genres are read for the page's rows alone, not for every row an OFFSET skips."""
    return rows_in_order(ids, SUMMARIES_WITH_IDS.rows(values={"ids": list(ids)}))


def _catalogue_page(*, page: slice) -> QuerySet:
    # The page's ids first, from the title index: the genres are read for its rows alone.
    page_ids = movie_list().values("id")[page]
    by_title = Movie.objects.filter(AmongIds("id", page_ids)).order_by("title", "id")
    return summary_rows(by_title, **list_length(Movie.objects.all()))


WHOLE_CATALOGUE = CompiledQuery(_catalogue_page, builds_its_page=True)
CATALOGUE_SIZE = CompiledQuery(lambda: counted(Movie.objects.all()))


def whole_catalogue() -> CompiledList:
    """The catalogue by title as `summary_rows`, for a page of it to be read with compiled
    queries: the list most asked for, with no search and no filter."""
    return CompiledList(WHOLE_CATALOGUE, CATALOGUE_SIZE, {})


def movie_page(*, imdb_id: str) -> Movie | None:
    """The movie with its genres and watchlist count, or None."""
    watchlist_count = (
        WatchlistItem.objects.filter(movie=OuterRef("pk")).order_by().values("movie").annotate(n=Count("id"))
    )
    return (
        Movie.objects.filter(imdb_id=imdb_id)
        .annotate(watchlist_count=Coalesce(Subquery(watchlist_count.values("n")[:1]), Value(0)))
        .prefetch_related("genres")
        .first()
    )


def _movie_page_row(*, imdb_id: str) -> QuerySet:
    watchlist_count = count_of(WatchlistItem.objects.filter(movie=OuterRef("pk")), per="movie")
    return Movie.objects.filter(imdb_id=imdb_id).values(
        "id",
        "refreshed_at",
        *output_columns(MoviePageSerializer),
        watchlist_count=watchlist_count,
        genre_names=genre_names(movie="id"),
    )


MOVIE_PAGE_ROW = CompiledQuery(_movie_page_row)
MOVIE_ID = CompiledQuery(lambda *, imdb_id: Movie.objects.filter(imdb_id=imdb_id).values("id"))


def _movie_in_writes(*, imdb_id: str) -> QuerySet:
    # What writes and their answers show of a movie (a summary), and when it was refreshed:
    # not the JSON of its cast, directors and alternate titles, whose decoding cost more
    # than the query.
    return Movie.objects.filter(imdb_id=imdb_id).values(
        "id", "refreshed_at", *output_columns(MovieSummarySerializer)
    )


MOVIE_IN_WRITES = CompiledQuery(_movie_in_writes)


def movie_in_writes(*, imdb_id: str) -> Movie | None:
    """The movie with this IMDb id as writes need it (`Movie` with its summary's columns, the
    rest deferred), in one compiled query; None when the catalogue has no such movie. (Django
    building the same `.only()` query cost a write about a tenth of its CPU.)"""
    found = MOVIE_IN_WRITES.rows(values={"imdb_id": imdb_id})
    return instance_from_row(Movie, found[0]) if found else None


def movie_id_with_imdb_id(*, imdb_id: str) -> int | None:
    found = MOVIE_ID.rows(values={"imdb_id": imdb_id})
    return found[0]["id"] if found else None


IMDB_IDS_OF = CompiledQuery(
    lambda *, movie_ids: Movie.objects.filter(id__in=movie_ids).order_by().values("id", "imdb_id")
)


def imdb_ids_of(*, movie_ids: list[int]) -> dict[int, str]:
    """The IMDb id of each of these movies, by movie id, in one compiled query. The ids are
    padded to a power of two (the last one repeated), so that a dozen shapes of the query
    serve every length of a caller's movies."""
    if not movie_ids:
        return {}
    padding = (1 << (len(movie_ids) - 1).bit_length()) - len(movie_ids)
    padded = [*movie_ids, *movie_ids[-1:] * padding]
    return {row["id"]: row["imdb_id"] for row in IMDB_IDS_OF.rows(values={"movie_ids": padded})}


def movie_page_row(*, imdb_id: str) -> dict | None:
    """The movie page's columns as a row, with `watchlist_count` and `genre_names`, in one
    compiled query; None when the catalogue has no such movie."""
    found = MOVIE_PAGE_ROW.rows(values={"imdb_id": imdb_id})
    return found[0] if found else None


def genre_list() -> QuerySet:
    """Every genre with how many movies it has, by name."""
    return Genre.objects.annotate(movie_count=Count("movie_links")).order_by("name")


def stale_movies(*, older_than_days: int) -> QuerySet:
    """Movies whose details were never fetched from the IMDb API, or longer ago than this,
    the stalest first; only their ids are loaded."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    return (
        Movie.objects.filter(Q(refreshed_at__isnull=True) | Q(refreshed_at__lt=cutoff))
        .order_by(F("refreshed_at").asc(nulls_first=True), "id")
        .only("id", "imdb_id")
    )


def movie_with_title(title: str, year: int | None = None) -> Movie | None:
    """The catalogue's movie a recommender title names ('The Matrix', 'Toy Story (1995)',
    'Matrix, The'): case-insensitive exact title; with a year, the same year or one off by
    one, the exact year preferred. None when the catalogue has none."""
    wanted = wanted_title(title, year)
    if not wanted.names:
        return None
    names = [name.lower() for name in wanted.names]
    local = Movie.objects.alias(title_lower=Lower("title")).filter(title_lower__in=names)
    if wanted.year:
        local = local.filter(year__range=(wanted.year - 1, wanted.year + 1))
    candidates = list(local.order_by("id")[:20])
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda movie: (
            names.index(movie.title.lower()) if movie.title.lower() in names else len(names),
            abs(movie.year - wanted.year) if wanted.year and movie.year else 0,
        ),
    )
