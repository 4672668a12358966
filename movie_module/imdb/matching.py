"""Turning a title as the recommender writes it into the best matching search result.

The recommender speaks MovieLens: 'Toy Story (1995)', 'Matrix, The (1999)',
'City of Lost Children, The (Cité des enfants perdus, La) (1995)', or a plain 'The Matrix'.
"""

from dataclasses import dataclass
from difflib import SequenceMatcher

from movie_module.titles import parse_title, title_key

from .parsing import SearchResult

# Below this similarity two titles are different films, whatever the year says.
MINIMUM_SIMILARITY = 0.85
KIND_PREFERENCE = {"movie": 3, "feature": 3, "tvMovie": 2, "TV movie": 2, "video": 1, "short": 1}


@dataclass(frozen=True)
class WantedTitle:
    """A title to find: the names to try (best first) and the year, when known."""

    names: tuple[str, ...]
    year: int | None

    @property
    def cache_key(self) -> str:
        return "|".join((*(title_key(name) for name in self.names), str(self.year or "")))


def wanted_title(text: str, year: int | None = None) -> WantedTitle:
    """Read 'Matrix, The (1999)' as names ('The Matrix',) and year 1999; a given year wins."""
    parsed = parse_title(text, year)
    names = (*parsed.names, parsed.display) if parsed.names else ()
    return WantedTitle(names=tuple(dict.fromkeys(names)), year=parsed.year)


def best_match(wanted: WantedTitle, candidates: list[SearchResult]) -> SearchResult | None:
    """The candidate that is most likely the wanted film, or None when none is close enough.

    Preference, in order: the exact title, the given year (a year off by one still matches:
    release dates differ between countries), a feature film over a series, a closer title,
    then the API's popularity rank.
    """
    wanted_names = {title_key(name) for name in wanted.names}
    ranked = []
    for candidate in candidates:
        name = title_key(candidate.title)
        exact = name in wanted_names
        similarity = max(SequenceMatcher(None, name, wanted_name).ratio() for wanted_name in wanted_names)
        if not exact and similarity < MINIMUM_SIMILARITY:
            continue
        year_distance = (
            abs(candidate.year - wanted.year) if wanted.year and candidate.year is not None else None
        )
        if year_distance is not None and year_distance > 1:
            continue
        kind = KIND_PREFERENCE.get(candidate.kind or "", KIND_PREFERENCE.get(candidate.kind_label or "", 0))
        rank = candidate.rank if candidate.rank is not None else float("inf")
        ranked.append(((exact, year_distance == 0, kind, similarity, -rank), candidate))
    if not ranked:
        return None
    return max(ranked, key=lambda pair: pair[0])[1]
