"""Search as people type it, through GET /api/movies/?search=, in a catalogue of 10,000+
titles: case, accents and one typo forgiven, alternate titles found, the best match first."""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from movie_module.models import Movie, TitleWordVariant

pytestmark = pytest.mark.django_db

MOVIES = "/api/movies/"
CATALOGUE_SIZE = 10_000
# Words of the generated titles; none holds, or is one typo from, a word the tests search.
# fmt: off
ADJECTIVES = [
    "Dark", "Silent", "Broken", "Golden", "Hidden", "Burning", "Frozen", "Lonely", "Savage", "Crimson",
    "Electric", "Wild", "Final", "Endless", "Bitter", "Sweet", "Distant", "Secret", "Iron", "Velvet",
]
NOUNS = [
    "Night", "River", "Kingdom", "Summer", "Harbor", "Garden", "Mirror", "Highway", "Ocean", "Empire",
    "Forest", "Winter", "Station", "Island", "Desert", "Thunder", "Shadow", "Valley", "Window", "Voyage",
]
PLACES = ["Paris", "Tokyo", "Berlin", "Lagos", "Lima", "Oslo", "Cairo", "Dublin", "Quebec", "Seoul"]
# fmt: on
# (title, alternate titles, IMDb votes): the films the tests look for, and their near misses.
KNOWN = [
    ("The Godfather", [], 2_000_000),
    ("The Godfather Part II", [], 1_300_000),
    ("The Godfather Part III", [], 400_000),
    ("Godfathers and Sons", [], 900),
    ("Amélie", ["Le Fabuleux Destin d'Amélie Poulain"], 800_000),
    ("Amelia", [], 30_000),
    ("Léon: The Professional", ["Léon"], 1_200_000),
    ("Leon Morin, Priest", [], 5_000),
    ("Napoléon", [], 90_000),
    ("Crouching Tiger, Hidden Dragon", ["Wo hu cang long"], 280_000),
    ("Alien", [], 100),
    ("Aliens", [], 800_000),
    ("Alien: Covenant", [], 300_000),
    ("Return of the Alien", [], 900_000),
]


def generated_titles(count: int):
    rng = random.Random(15)
    shapes = [
        lambda: f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}",
        lambda: f"The {rng.choice(NOUNS)} of {rng.choice(PLACES)}",
        lambda: f"{rng.choice(NOUNS)} in {rng.choice(PLACES)} {rng.randint(2, 9)}",
        lambda: f"A {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.choice(NOUNS)}",
    ]
    for _ in range(count):
        yield rng.choice(shapes)(), rng.randint(0, 700_000)


@pytest.fixture(scope="module")
def catalogue(django_db_setup, django_db_blocker):
    """10,000 generated films and the known ones, built once for this module's tests."""
    with django_db_blocker.unblock():
        movies = [
            Movie(
                imdb_id=f"tt{3000000 + number:07d}",
                title=title,
                alternate_titles=alternates,
                imdb_votes=votes,
            )
            for number, (title, alternates, votes) in enumerate(KNOWN)
        ]
        movies += [
            Movie(imdb_id=f"tt{4000000 + number:07d}", title=title, imdb_votes=votes)
            for number, (title, votes) in enumerate(generated_titles(CATALOGUE_SIZE))
        ]
        Movie.objects.bulk_create(movies, batch_size=2000)
    yield
    # Nothing refers to these rows: one statement each, not Django's cascade of 10,000 deletes.
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        for model in (Movie, TitleWordVariant):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")


def search(api_client, text: str, **params) -> dict:
    response = api_client.get(MOVIES, {"search": text, **params})
    assert response.status_code == 200, response.content
    return response.json()


def titles(api_client, text: str, **params) -> list[str]:
    return [movie["title"] for movie in search(api_client, text, **params)["results"]]


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("amelie", "Amélie"),
        ("AMÉLIE", "Amélie"),
        ("leon", "Léon: The Professional"),
        ("LÉON the professional", "Léon: The Professional"),
        ("crouching tiger hidden dragon", "Crouching Tiger, Hidden Dragon"),
    ],
)
def test_case_accents_and_punctuation_are_ignored(api_client, catalogue, typed, first):
    assert titles(api_client, typed)[0] == first


def test_leon_finds_the_exact_title_first_then_other_leons_then_napoleon(api_client, catalogue):
    assert titles(api_client, "leon") == ["Léon: The Professional", "Leon Morin, Priest", "Napoléon"]


@pytest.mark.parametrize(
    "typed",
    ["godfahter", "the godfahter", "godfater", "godfathre", "godfatherr", "gidfather", "GODFAHTER"],
)
def test_one_typo_in_a_long_word_still_finds_the_godfather_first(api_client, catalogue, typed):
    answer = search(api_client, typed)
    assert [movie["title"] for movie in answer["results"]][:3] == [
        "The Godfather",
        "The Godfather Part II",
        "The Godfather Part III",
    ]
    assert answer["count"] == 4  # "Godfathers and Sons" too, last: fewest votes


def test_a_typo_in_amelie_finds_amelie_alone(api_client, catalogue):
    assert titles(api_client, "amelei") == ["Amélie"]  # "amelia" is two letters off


def test_the_start_of_a_word_finds_every_title_holding_it_most_voted_first(api_client, catalogue):
    assert titles(api_client, "ameli") == ["Amélie", "Amelia"]


@pytest.mark.parametrize("typed", ["gdofahter", "godfahtre", "leno"])
def test_two_typos_or_a_typo_in_a_short_word_find_nothing(api_client, catalogue, typed):
    assert search(api_client, typed)["count"] == 0


def test_a_word_that_titles_hold_is_not_read_as_a_typo(api_client, catalogue):
    # "amelia" is one letter from "amelie", but people who type it mean Amelia.
    assert titles(api_client, "amelia") == ["Amelia"]


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("Le fabuleux destin", "Amélie"),
        ("fabuleux destin d'amelie poulain", "Amélie"),
        ("wo hu cang long", "Crouching Tiger, Hidden Dragon"),
    ],
)
def test_alternate_titles_find_the_film(api_client, catalogue, typed, first):
    assert titles(api_client, typed)[0] == first


def test_exact_title_then_prefix_then_inside_then_popularity(api_client, catalogue):
    # "Alien" has the fewest votes but is the title typed; "Return of the Alien" the most.
    assert titles(api_client, "alien") == ["Alien", "Aliens", "Alien: Covenant", "Return of the Alien"]


def without_article(title: str) -> str:
    first, _, rest = title.partition(" ")
    return rest if first in ("The", "A") and rest else title


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("the alien", ["Alien", "Aliens", "Alien: Covenant", "Return of the Alien"]),
        ("return of the alien", ["Return of the Alien"]),
        ("the godfather part ii", ["The Godfather Part II", "The Godfather Part III"]),
    ],
)
def test_articles_rank_the_matches_but_do_not_filter_them(api_client, catalogue, typed, found):
    assert titles(api_client, typed) == found


def test_generated_titles_are_ranked_exact_then_prefix_then_the_rest(api_client, catalogue):
    answer = search(api_client, "dark night", page_size=100)
    found = [movie["title"] for movie in answer["results"]]
    tiers = [
        0 if title == "Dark Night" else 1 if without_article(title).startswith("Dark Night") else 2
        for title in found
    ]
    assert tiers == sorted(tiers) and {0, 1, 2} <= set(tiers), found
    assert (
        answer["count"]
        == len(found)
        == sum(
            1
            for title, _ in generated_titles(CATALOGUE_SIZE)
            if {"dark", "night"} <= set(title.lower().split())
        )
    )


def test_searching_one_or_two_letters_lists_titles_starting_with_them(api_client, catalogue):
    answer = search(api_client, "go", page_size=100)
    found = [movie["title"] for movie in answer["results"]]
    assert found[0] == "The Godfather"  # the most voted
    assert all(without_article(title).startswith("Go") for title in found), found
    starting = sum(
        1 for title, _ in generated_titles(CATALOGUE_SIZE) if without_article(title).startswith("Go")
    )
    assert answer["count"] == 4 + starting


def test_a_search_pages_through_its_matches_in_one_order(api_client, catalogue):
    first = titles(api_client, "godfahter", page_size=2)
    second = titles(api_client, "godfahter", page_size=2, page=2)
    assert first + second == [
        "The Godfather",
        "The Godfather Part II",
        "The Godfather Part III",
        "Godfathers and Sons",
    ]


def test_search_runs_the_same_queries_for_1_and_100_results_and_never_writes(
    api_client, catalogue, django_assert_num_queries
):
    # the typo index, count, the page's ids, their rows with their genres
    for page_size in (1, 100):
        with CaptureQueriesContext(connection) as queries, django_assert_num_queries(4):
            assert len(search(api_client, "nihgt", page_size=page_size)["results"]) == page_size
        assert all(query["sql"].lstrip().upper().startswith("SELECT") for query in queries.captured_queries)
