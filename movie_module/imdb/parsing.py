"""Typed, defensive parsing of the IMDb API's answers (../shared/IMDB.md).

Any field may be missing, null or of an unexpected type in a real answer: such a field
becomes None (or an empty tuple for lists), never an exception. The functions here take
already-decoded JSON (anything `json.loads` returns) and know nothing of HTTP or Django.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

# The same shape as the Movie model's constraint: anything else could not be stored.
TITLE_ID = re.compile(r"tt\d{7,8}")
WRAPPED_TITLE_ID = re.compile(r"(?:^|/)(tt\d{7,8})(?:/|$)")

# Limits of the Movie columns the values end up in.
MAX_TITLE_LENGTH = 300
MAX_URL_LENGTH = 500
MAX_CAST = 15
MAX_SMALL_INTEGER = 32767
MAX_INTEGER = 2**31 - 1


# The kinds of title the catalogue keeps: films. Series, episodes, video games (and people)
# never become movies.
FILM_KINDS = frozenset({"movie", "tvMovie", "video", "short", "tvShort", "tvSpecial"})
FILM_KIND_LABELS = frozenset({"feature", "TV movie", "video", "short", "TV short", "TV special"})


@dataclass(frozen=True)
class SearchResult:
    """One title of an `/auto-complete` answer."""

    imdb_id: str
    title: str
    year: int | None = None
    kind: str | None = None  # `qid`: movie, tvSeries, tvMovie, video, short, ...
    kind_label: str | None = None  # `q`: feature, TV series, ...
    stars: str | None = None  # `s`: the main cast, as one string
    poster_url: str | None = None
    rank: int | None = None  # popularity rank: lower is more popular

    @property
    def is_feature(self) -> bool:
        return self.kind == "movie" or self.kind_label == "feature"

    @property
    def is_film(self) -> bool:
        """A film by its kind; a result of no known kind is not taken for one."""
        return self.kind in FILM_KINDS if self.kind else self.kind_label in FILM_KIND_LABELS


@dataclass(frozen=True)
class TitleDetails:
    """A title's overview details plus its directors and cast (billing order)."""

    imdb_id: str
    title: str
    year: int | None = None
    kind: str | None = None  # `titleType`: movie, tvSeries, ...
    runtime_minutes: int | None = None
    poster_url: str | None = None
    genres: tuple[str, ...] = ()
    plot: str | None = None
    rating: Decimal | None = None
    votes: int | None = None
    release_date: str | None = None
    directors: tuple[str, ...] = ()
    cast: tuple[str, ...] = ()

    @property
    def is_film(self) -> bool:
        """Not a title of another kind (the id was asked for: a title of no kind is taken)."""
        return self.kind is None or self.kind in FILM_KINDS


def title_id(value: Any) -> str | None:
    """`tt0133093` from `tt0133093` or `/title/tt0133093/`; None for anything else."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if TITLE_ID.fullmatch(value):
        return value
    match = WRAPPED_TITLE_ID.search(value)
    return match.group(1) if match else None


def parse_search(payload: Any) -> list[SearchResult]:
    """The titles of an `/auto-complete` answer, in the API's order; people (`nm…`) skipped."""
    entries = payload.get("d") if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        return []
    results = []
    seen = set()
    for entry in entries:
        result = _search_result(entry)
        if result is not None and result.imdb_id not in seen:
            seen.add(result.imdb_id)
            results.append(result)
    return results


def _search_result(entry: Any) -> SearchResult | None:
    if not isinstance(entry, dict):
        return None
    imdb_id = title_id(entry.get("id"))
    title = _text(entry.get("l"), MAX_TITLE_LENGTH)
    if imdb_id is None or title is None:
        return None
    image = entry.get("i")
    return SearchResult(
        imdb_id=imdb_id,
        title=title,
        year=_year(entry.get("y")),
        kind=_text(entry.get("qid")),
        kind_label=_text(entry.get("q")),
        stars=_text(entry.get("s")),
        poster_url=_url(image.get("imageUrl")) if isinstance(image, dict) else None,
        rank=_integer(entry.get("rank"), maximum=MAX_INTEGER),
    )


def has_title(overview: Any) -> bool:
    """Whether an overview answer describes a title (an unknown id answers `{}` or near it)."""
    return isinstance(overview, dict) and isinstance(overview.get("title"), dict)


def parse_details(overview: Any, credits: Any = None) -> TitleDetails | None:
    """A `TitleDetails` from an overview answer and, optionally, a full-credits answer.

    Returns None when the overview names no title (the id is unknown).
    """
    if not has_title(overview):
        return None
    title_block = overview["title"]
    imdb_id = title_id(title_block.get("id")) or title_id(overview.get("id"))
    title = _text(title_block.get("title"), MAX_TITLE_LENGTH)
    if imdb_id is None or title is None:
        return None
    ratings = overview.get("ratings") if isinstance(overview.get("ratings"), dict) else {}
    image = title_block.get("image")
    directors, cast = _credits(credits)
    return TitleDetails(
        imdb_id=imdb_id,
        title=title,
        year=_year(title_block.get("year")),
        kind=_text(title_block.get("titleType")),
        runtime_minutes=_integer(title_block.get("runningTimeInMinutes"), maximum=MAX_SMALL_INTEGER),
        poster_url=_url(image.get("url")) if isinstance(image, dict) else None,
        genres=_names(overview.get("genres")),
        plot=_plot(overview),
        rating=_rating(ratings.get("rating")),
        votes=_integer(ratings.get("ratingCount"), maximum=MAX_INTEGER),
        release_date=_text(overview.get("releaseDate")),
        directors=directors,
        cast=cast,
    )


def _credits(credits: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not isinstance(credits, dict):
        return (), ()
    crew = credits.get("crew") if isinstance(credits.get("crew"), dict) else {}
    directors = _people(crew.get("director"))
    cast = _people(credits.get("cast"))[:MAX_CAST]
    return directors, cast


def _people(entries: Any) -> tuple[str, ...]:
    """Names of a credits list, in order, each once."""
    if not isinstance(entries, list):
        return ()
    names = []
    for entry in entries:
        name = _text(entry.get("name")) if isinstance(entry, dict) else None
        if name and name not in names:
            names.append(name)
    return tuple(names)


def _plot(overview: dict) -> str | None:
    # The outline is the short blurb a movie page wants; the summary is the fallback.
    for key in ("plotOutline", "plotSummary"):
        block = overview.get(key)
        text = _text(block.get("text")) if isinstance(block, dict) else None
        if text:
            return text
    return None


def _text(value: Any, max_length: int | None = None) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value:
        return None
    return value[:max_length] if max_length else value


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(dict.fromkeys(name for item in value if (name := _text(item))))


def _integer(value: Any, *, minimum: int = 0, maximum: int) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not minimum <= value <= maximum:
        return None
    return value


def _year(value: Any) -> int | None:
    return _integer(value, minimum=1870, maximum=2200)


def _rating(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        rating = Decimal(str(value).strip()).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        return None
    return rating if rating.is_finite() and 0 <= rating <= 10 else None


def _url(value: Any) -> str | None:
    url = _text(value)
    if url is None or len(url) > MAX_URL_LENGTH or not url.startswith(("https://", "http://")):
        return None
    return url
