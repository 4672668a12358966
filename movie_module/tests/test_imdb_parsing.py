"""Reading the API's answers and the recommender's titles: odd input never raises."""

from decimal import Decimal

import pytest

from movie_module.imdb.matching import wanted_title
from movie_module.imdb.parsing import parse_details, parse_search, title_id
from movie_module.titles import article_in_front, title_key


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("tt0133093", "tt0133093"),
        ("/title/tt0133093/", "tt0133093"),
        ("/title/tt10872600/", "tt10872600"),
        ("/name/nm0000206/", None),
        ("tt123", None),
        (None, None),
        (133093, None),
    ],
)
def test_imdb_ids_are_unwrapped_or_refused(value, expected):
    assert title_id(value) == expected


@pytest.mark.parametrize("payload", [None, [], "text", 3, {"d": None}, {"d": "x"}, {"d": [None, 1, []]}])
def test_a_search_answer_of_the_wrong_shape_finds_nothing(payload):
    assert parse_search(payload) == []


@pytest.mark.parametrize("overview", [None, {}, {"title": None}, {"title": "The Matrix"}, {"title": {}}])
def test_an_overview_without_a_title_means_not_found(overview):
    assert parse_details(overview) is None


def test_odd_details_values_become_none():
    details = parse_details(
        {
            "title": {
                "id": "/title/tt0133093/",
                "title": "  The Matrix  ",
                "year": 99999,
                "runningTimeInMinutes": "136",
                "image": {"url": "ftp://nope"},
            },
            "ratings": {"rating": 11, "ratingCount": "many"},
            "genres": ["Action", None, "Action", 3],
        },
        {
            "cast": [{"name": "Keanu Reeves"}, {"name": None}, "x", {"name": "Keanu Reeves"}],
            "crew": {"director": "Lana"},
        },
    )
    assert (details.title, details.year, details.runtime_minutes, details.poster_url) == (
        "The Matrix",
        None,
        136,
        None,
    )
    assert (details.rating, details.votes, details.genres) == (None, None, ("Action",))
    assert (details.cast, details.directors) == (("Keanu Reeves",), ())


def test_ratings_keep_one_decimal():
    details = parse_details({"title": {"id": "/title/tt0133093/", "title": "M"}, "ratings": {"rating": 8.66}})
    assert details.rating == Decimal("8.7")


@pytest.mark.parametrize(
    ("text", "names", "year"),
    [
        ("The Matrix", ("The Matrix",), None),
        ("Toy Story (1995)", ("Toy Story",), 1995),
        ("Matrix, The (1999)", ("The Matrix",), 1999),
        ("Avventura, L' (1960)", ("L'Avventura",), 1960),
        ("Seven (a.k.a. Se7en) (1995)", ("Seven", "Se7en", "Seven (Se7en)"), 1995),
        ("   ", (), None),
    ],
)
def test_recommender_titles_are_read(text, names, year):
    wanted = wanted_title(text)
    assert (wanted.names, wanted.year) == (names, year)


def test_a_given_year_wins_over_the_one_in_the_title():
    assert wanted_title("Dune (1984)", 2021).year == 2021


def test_titles_compare_without_case_accents_punctuation_or_leading_articles():
    assert title_key("The Matrix") == title_key("matrix") == title_key("Matrix, The")
    assert title_key("Amélie") == title_key("AMELIE!")
    assert title_key("Fast & Furious") == title_key("Fast and Furious")
    assert title_key("Die Hard") != title_key("Hard")
    assert article_in_front("Graduate, The") == "The Graduate"
