"""Forgiving title search, the same on SQLite and PostgreSQL: one function, one queryset.

Every movie keeps its names folded (case, accents and punctuation gone) in `search_names`,
one per line, its original-language and alternate titles included (models.Movie). A search
is folded the same way and finds the movies whose names hold every searched word, through
the engine's trigram index: FTS5's trigram table on SQLite (search_index.py), pg_trgm's GIN
index on PostgreSQL. A word of TYPO_WORD_MIN_LENGTH letters or more that no title holds
stands also for the title words one typo away (one letter inserted, deleted or replaced, or
two neighbours swapped), found through TitleWordVariant and checked with rapidfuzz.

Best match first: a name equal to the text, a name starting with it, the text starting a
word inside a name, every word as typed; then the same for the text with its typos
corrected; within each, the most voted on IMDb first.
"""

from itertools import islice, product

from django.db import connection
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from rapidfuzz.distance import OSA

from movie_module.models import Movie, TitleWordVariant
from movie_module.titles import (
    TYPO_WORD_MAX_LENGTH,
    TYPO_WORD_MIN_LENGTH,
    folded_words,
    one_letter_deletions,
    without_leading_article,
)

MAX_WORDS = 8
# How many corrected searches rank the matches of a search with typos.
MAX_CORRECTIONS_PER_WORD = 3
MAX_CORRECTED_PHRASES = 6
# Shorter words cannot use a trigram index: they filter what the longer words found, and a
# search made only of them lists the titles that start with it.
TRIGRAM = 3
# Words so common in titles that alone they would match a third of the catalogue: they rank
# the matches (an exact title holds them) but do not filter them, unless nothing else is typed.
# fmt: off
STOPWORDS = frozenset({
    "the", "a", "an", "of", "and", "in", "on", "at", "to", "for", "with", "from", "by", "or",
    "le", "la", "les", "l", "de", "des", "du", "d", "et", "un", "une", "el", "los", "las", "y",
    "il", "lo", "gli", "di", "der", "die", "das", "und", "den", "dem", "von",
})
# fmt: on


def search_movies(text: str) -> QuerySet:
    """The movies the text finds, best match first (ordered; filters may be added). All of
    the catalogue when the text holds no letter or digit. Reads only."""
    words = folded_words(text)[:MAX_WORDS]
    if not words:
        return Movie.objects.order_by("title", "id")
    phrase = " ".join(words)
    filtering = [word for word in words if word not in STOPWORDS]
    if all(len(word) < TRIGRAM for word in filtering):
        return _titles_starting_with(phrase)
    corrections = _typo_corrections(filtering)
    movies = _holding_every_word(filtering, corrections)
    # "the alien" is typed for "Alien" as much as for "The Alien".
    phrases = list(dict.fromkeys([phrase, " ".join(without_leading_article(words))]))
    tiers = _match_tiers(phrases, as_typed=[words])
    if corrections:
        tiers += _match_tiers(_corrected_phrases(words, corrections))
    return movies.annotate(match_rank=_rank(tiers)).order_by(
        "match_rank", F("imdb_votes").desc(nulls_last=True), "search_key", "id"
    )


def _match_tiers(phrases: list[str], as_typed: list[list[str]] = ()) -> list[list[list[str]]]:
    """How well a movie's names match any of the phrases, best first: a name equal to one, a
    name starting with one, a word inside a name starting with one; and every word as typed.
    A tier is a list of alternatives, each a list of texts that search_names must all hold."""
    return [
        [[f"\n{phrase}\n"] for phrase in phrases],
        [[f"\n{phrase}"] for phrase in phrases],
        [[f" {phrase}"] for phrase in phrases],
        *([as_typed] if as_typed else []),
    ]


def _rank(tiers: list[list[list[str]]]) -> RawSQL:
    """The number of the first tier a movie's names satisfy: one CASE of strpos (instr on
    SQLite) over the matched rows, cheaper to run than LIKE patterns and to build than the ORM's
    expressions of it."""
    column = ".".join(connection.ops.quote_name(name) for name in (Movie._meta.db_table, "search_names"))
    holds = f"{'instr' if connection.vendor == 'sqlite' else 'strpos'}({column}, %s) > 0"
    cases, parameters = [], []
    for rank, alternatives in enumerate(tiers):
        condition = " OR ".join("(" + " AND ".join([holds] * len(texts)) + ")" for texts in alternatives)
        cases.append(f"WHEN {condition} THEN {rank}")
        parameters += [text for texts in alternatives for text in texts]
    return RawSQL(f"CASE {' '.join(cases)} ELSE {len(tiers)} END", parameters, output_field=IntegerField())


def _corrected_phrases(words: list[str], corrections: dict[str, list[str]]) -> list[str]:
    """The search with its typos corrected, each way the title words allow (a few at most)."""
    choices = [corrections.get(word, [word])[:MAX_CORRECTIONS_PER_WORD] for word in words]
    return [" ".join(words) for words in islice(product(*choices), MAX_CORRECTED_PHRASES)]


def _typo_corrections(words: list[str]) -> dict[str, list[str]]:
    """For each searched word long enough to forgive a typo in and that no title holds, the
    title words one typo away, closest first. One query, and none when no word qualifies."""
    candidates = {
        word: one_letter_deletions(word)
        for word in words
        if word.isalpha() and TYPO_WORD_MIN_LENGTH <= len(word) <= TYPO_WORD_MAX_LENGTH
    }
    if not candidates:
        return {}
    variants = set().union(*candidates.values())
    known = set(
        TitleWordVariant.objects.filter(variant__in=variants).values_list("word", flat=True).distinct()
    )
    corrections = {}
    for word in candidates:
        if word in known:
            continue
        near = [other for other in known if OSA.distance(word, other, score_cutoff=1) <= 1]
        if near:
            corrections[word] = sorted(near, key=lambda other: (len(other) != len(word), other))
    return corrections


def _titles_starting_with(phrase: str) -> QuerySet:
    """Movies whose main name (without a leading English article) starts with the phrase,
    through the search_key index; the exact name first, then the most voted."""
    if connection.vendor == "sqlite":
        # A range on the B-tree: SQLite's LIKE is case-insensitive, which its index cannot serve.
        movies = Movie.objects.filter(search_key__gte=phrase, search_key__lt=phrase + "\U0010ffff")
    else:
        movies = Movie.objects.filter(search_key__startswith=phrase)  # the varchar_pattern_ops index
    exact = Case(When(search_key=phrase, then=Value(0)), default=Value(1), output_field=IntegerField())
    return movies.annotate(match_rank=exact).order_by(
        "match_rank", F("imdb_votes").desc(nulls_last=True), "search_key", "id"
    )


def _holding_every_word(words: list[str], corrections: dict[str, list[str]]) -> QuerySet:
    """Movies whose names hold every word, or for a word with corrections one of them too."""
    long_words = [word for word in words if len(word) >= TRIGRAM]
    # Words under three letters filter the rows the others found, not the index.
    movies = Movie.objects.filter(*[Q(search_names__contains=word) for word in words if len(word) < TRIGRAM])
    if connection.vendor == "sqlite":
        # One FTS5 query: trigram phrases are substrings, answered from the index alone (a LIKE
        # would read every candidate's text). Words are letters and digits: nothing to escape.
        query = " AND ".join(
            "(" + " OR ".join(f'"{spelling}"' for spelling in (word, *corrections.get(word, []))) + ")"
            for word in long_words
        )
        matching = RawSQL("SELECT rowid FROM movie_title_search WHERE movie_title_search MATCH %s", [query])
        return movies.filter(id__in=matching)
    for word in long_words:  # pg_trgm's GIN index on search_names serves each
        any_spelling = Q()
        for spelling in (word, *corrections.get(word, [])):
            any_spelling |= Q(search_names__contains=spelling)
        movies = movies.filter(any_spelling)
    return movies
