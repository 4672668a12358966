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
NOT_WORD = re.compile(r"[^\w\s]|_")
# Letters that Unicode does not decompose into a base letter and an accent, read as people
# type them without the key: "Ø" as "o", "Æ" as "ae".
# fmt: off
UNDECOMPOSED_LETTERS = str.maketrans({
    "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h",
})
# fmt: on
# A typo is forgiven in searched words this long or longer; the title words that may match
# them are one letter shorter at least.
TYPO_WORD_MIN_LENGTH = 5
TYPO_WORD_MAX_LENGTH = 40


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
    return " ".join(without_leading_article(folded_words(article_in_front(name))))


def folded_words(text: str) -> list[str]:
    """The words of `text` with case, accents and punctuation gone, "&" read as "and":
    "Léon: The Professional" → ["leon", "the", "professional"]. Only letters and digits remain."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(character for character in text if not unicodedata.combining(character))
    text = text.casefold().translate(UNDECOMPOSED_LETTERS).replace("&", " and ")
    return NOT_WORD.sub(" ", text).split()


def without_leading_article(words: list[str]) -> list[str]:
    return words[1:] if len(words) > 1 and words[0] in LEADING_ARTICLES else words


# Search


def search_names(title: str, alternate_titles: list[str] = ()) -> str:
    """Every name a movie can be searched by, folded, one per line, and a line break before the
    first and after the last, so that "\nname\n" finds a whole name and "\nname" its start."""
    return "\n" + "\n".join(search_lines(title, alternate_titles)) + "\n"


def search_lines(title: str, alternate_titles: list[str] = ()) -> list[str]:
    """Every name a movie can be searched by, folded: each name (the title's own parenthesised
    alternatives included) as written and, when it starts with an English article, without
    it, so that "godfather" is as exact a match as "the godfather"."""
    lines = []
    for text in (title, *alternate_titles):
        for name in dict.fromkeys((article_in_front(text), *title_names(text))):
            words = folded_words(name)
            lines += [" ".join(words), " ".join(without_leading_article(words))]
    return [line for line in dict.fromkeys(lines) if line]


def search_key(title: str) -> str:
    """The title's main name, folded and without a leading English article: what a search of
    one or two letters must start with, and the order of equally good matches."""
    names = title_names(title) or (title,)
    return " ".join(without_leading_article(folded_words(article_in_front(names[0]))))


def typo_words(lines: list[str]) -> set[str]:
    """The words of `lines` that a searched word with one typo may stand for: letters only
    (a typo in a number is another number), at least TYPO_WORD_MIN_LENGTH - 1 letters long."""
    return {
        word
        for line in lines
        for word in line.split()
        if word.isalpha() and TYPO_WORD_MIN_LENGTH - 1 <= len(word) <= TYPO_WORD_MAX_LENGTH
    }


def one_letter_deletions(word: str) -> set[str]:
    """The word and each way of deleting one of its letters. Two words one typo apart (a letter
    inserted, deleted, replaced, or two neighbours swapped) share at least one of these."""
    return {word} | {word[:position] + word[position + 1 :] for position in range(len(word))}
