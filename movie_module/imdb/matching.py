"""Turning a title as the recommender writes it into the best matching search result.

The recommender speaks MovieLens: 'Toy Story (1995)', 'Matrix, The (1999)',
'City of Lost Children, The (Cité des enfants perdus, La) (1995)', or a plain 'The Matrix'.
"""

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

from .parsing import SearchResult

TRAILING_YEAR = re.compile(r"\s*\((\d{4})\)\s*$")
TRAILING_ALTERNATIVE = re.compile(r"^(?P<name>.+?)\s*\((?P<alternative>[^()]+)\)\s*$")
AKA = re.compile(r"^(?:a\.?k\.?a\.?|also known as)\s+", re.IGNORECASE)
# 'Matrix, The' → 'The Matrix'; MovieLens moves English and many foreign articles to the end.
TRAILING_ARTICLE = re.compile(
    r"^(?P<name>.+),\s*(?P<article>the|a|an|les|la|le|l'|il|lo|gli|i|el|los|las|das|der|die|den|det|de|het|une|un)$",
    re.IGNORECASE,
)
# Only English articles are dropped for comparison: 'Die Hard' must not become 'Hard'.
LEADING_ARTICLE = re.compile(r"^(?:the|a|an)\s+")
NOT_WORD = re.compile(r"[^\w\s]")
SPACES = re.compile(r"\s+")

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
        return "|".join((*(normalise_title(name) for name in self.names), str(self.year or "")))


def wanted_title(text: str, year: int | None = None) -> WantedTitle:
    """Read 'Matrix, The (1999)' as names ('The Matrix',) and year 1999; a given year wins."""
    text = SPACES.sub(" ", (text or "").strip())
    match = TRAILING_YEAR.search(text)
    if match:
        text = text[: match.start()].strip()
        year = year or int(match.group(1))
    names = []
    alternative = TRAILING_ALTERNATIVE.match(text)
    if alternative:
        names.append(alternative.group("name"))
        names.append(AKA.sub("", alternative.group("alternative")))
    names.append(text)
    display_names = tuple(dict.fromkeys(display_title(name) for name in names if name.strip()))
    return WantedTitle(names=display_names, year=year)


def display_title(name: str) -> str:
    """'Matrix, The' → 'The Matrix'; other titles unchanged."""
    name = name.strip()
    match = TRAILING_ARTICLE.match(name)
    if not match:
        return name
    article = match.group("article")
    separator = "" if article.endswith("'") else " "
    return f"{article[0].upper()}{article[1:]}{separator}{match.group('name').strip()}"


def normalise_title(name: str) -> str:
    """Case, accents, punctuation, '&' and leading articles removed: 'The Matrix' → 'matrix'."""
    name = display_title(name)
    name = unicodedata.normalize("NFKD", name)
    name = "".join(character for character in name if not unicodedata.combining(character))
    name = name.lower().replace("&", " and ")
    name = NOT_WORD.sub(" ", name)
    name = SPACES.sub(" ", name).strip()
    return LEADING_ARTICLE.sub("", name)


def best_match(wanted: WantedTitle, candidates: list[SearchResult]) -> SearchResult | None:
    """The candidate that is most likely the wanted film, or None when none is close enough.

    Preference, in order: the exact title, the given year (a year off by one still matches:
    release dates differ between countries), a feature film over a series, a closer title,
    then the API's popularity rank.
    """
    wanted_names = {normalise_title(name) for name in wanted.names}
    ranked = []
    for candidate in candidates:
        name = normalise_title(candidate.title)
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
