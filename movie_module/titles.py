"""Movie titles as MovieLens, the recommender and the IMDb API write them: one reading.

MovieLens moves articles to the end and gives alternative titles in parentheses: "Cité des
enfants perdus, La (City of Lost Children, The) (1995)". The recommender names movies the
same way when its corpus came from MovieLens. Here such a title becomes the names a person
would write ("La Cité des enfants perdus", "The City of Lost Children") and its year, and
every name gets a comparison key that ignores case, accents, punctuation and a leading
English article, so that "Matrix, The", "The Matrix" and "MATRIX!" are one title while
"Die Hard" stays "die hard". Pure functions: no Django, no database.
"""

import re
import unicodedata
from dataclasses import dataclass

# Articles that MovieLens moves behind a comma: "Postino, Il", "Homme, L'".
# fmt: off
TRAILING_ARTICLES = frozenset({
    "the", "a", "an", "la", "le", "les", "l'", "il", "i", "lo", "gli", "el", "los", "las", "un",
    "une", "una", "die", "der", "das", "den", "det", "de", "het", "o", "os", "as",
})
# fmt: on
# Only English articles are dropped for comparison: "Die Hard" must not become "Hard".
LEADING_ARTICLES = frozenset({"the", "a", "an"})
YEAR_AT_END = re.compile(r"\s*\((\d{4})(?:\s*[-–]\s*\d{0,4})?\)\s*$")
AKA = re.compile(r"^(?:a\.?k\.?a\.?|also known as)\s*", re.IGNORECASE)
NOT_WORD = re.compile(r"[^\w\s]")


@dataclass(frozen=True)
class ParsedTitle:
    """A title's names, the main one first, each with its article in front, and its year."""

    names: tuple[str, ...]
    year: int | None

    @property
    def display(self) -> str:
        """The main name with the alternatives in parentheses: "Amélie (Le fabuleux destin ...)"."""
        if not self.names:
            return ""
        return self.names[0] + "".join(f" ({name})" for name in self.names[1:])

    @property
    def keys(self) -> tuple[str, ...]:
        """The comparison keys of every name, and of the whole display title, without repeats."""
        keys = (title_key(self.display), *(title_key(name) for name in self.names))
        return tuple(dict.fromkeys(key for key in keys if key))


def parse_title(text: str, year: int | None = None) -> ParsedTitle:
    """Read "Matrix, The (1999)" as names ("The Matrix",) and year 1999; a given `year` wins."""
    text = " ".join((text or "").split())
    found = YEAR_AT_END.search(text)
    if found:
        year = year or int(found.group(1))
        text = text[: found.start()]
    return ParsedTitle(names=title_names(text), year=year)


def title_names(text: str) -> tuple[str, ...]:
    """The names in a title without a year: the main one, then the alternatives."""
    main, alternatives = split_alternative_titles(text)
    names = [article_in_front(name) for name in (main, *alternatives) if name.strip()]
    return tuple(dict.fromkeys(names))


def split_alternative_titles(text: str) -> tuple[str, list[str]]:
    """Split trailing alternative titles off: "Postino, Il (The Postman)" gives
    ("Postino, Il", ["The Postman"]). Nested parentheses stay inside their title."""
    alternatives = []
    text = text.strip()
    while text.endswith(")"):
        depth = 0
        for position in range(len(text) - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(text[position], 0)
            if depth == 0:
                break
        if depth or position == 0:
            break
        alternatives.insert(0, AKA.sub("", text[position + 1 : -1].strip()))
        text = text[:position].rstrip()
    return text, [name for name in alternatives if name]


def article_in_front(name: str) -> str:
    """ "Matrix, The" → "The Matrix", "Homme, L'" → "L'Homme"; other names unchanged."""
    name = name.strip()
    head, separator, last_word = name.rpartition(", ")
    if not separator or last_word.casefold() not in TRAILING_ARTICLES:
        return name
    article = last_word[0].upper() + last_word[1:]
    return f"{article}{head}" if article.endswith("'") else f"{article} {head}"


def title_key(name: str) -> str:
    """Case, accents, punctuation and a leading English article removed, "&" read as "and":
    "The Matrix!" → "matrix", "Amélie" → "amelie". Articles moved behind are put back first."""
    text = unicodedata.normalize("NFKD", article_in_front(name))
    text = "".join(character for character in text if not unicodedata.combining(character))
    words = NOT_WORD.sub(" ", text.casefold().replace("&", " and ")).split()
    if len(words) > 1 and words[0] in LEADING_ARTICLES:
        words = words[1:]
    return " ".join(words)
