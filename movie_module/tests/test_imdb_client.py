"""The IMDb client against the fake API: what it asks, what it understands, what it caches."""

from decimal import Decimal

from conftest import TEST_RAPIDAPI_KEY
from movie_module.catalogue import services as imdb_sync
from tests.fake_imdb import CREDITS, OVERVIEW, SEARCH


def test_without_a_key_there_is_no_client(settings):
    settings.RAPIDAPI_KEY = ""
    assert imdb_sync.get_client() is None


def test_one_client_serves_the_whole_process(imdb_client):
    assert imdb_sync.get_client() is imdb_client


def test_every_request_carries_the_rapidapi_key_and_host_headers(fake_imdb, imdb_client):
    imdb_client.search("matrix")
    imdb_client.title_details("tt0133093")
    assert fake_imdb.calls() == 3
    for request in fake_imdb.requests:
        assert request.headers["x-rapidapi-key"] == TEST_RAPIDAPI_KEY
        assert request.headers["x-rapidapi-host"] == "imdb8.p.rapidapi.com"


def test_search_returns_titles_best_first_and_skips_people(fake_imdb, imdb_client):
    fake_imdb.people.append(fake_imdb.people[0].__class__("nm0000001", "Matrix Fan", "Self", rank=1))
    results = imdb_client.search("The Matrix")
    assert [result.imdb_id for result in results] == ["tt0133093", "tt0234215", "tt0242653"]
    first = results[0]
    assert (first.title, first.year, first.kind, first.is_feature) == ("The Matrix", 1999, "movie", True)
    assert first.poster_url == "https://m.media-amazon.com/images/M/tt0133093.jpg"
    assert fake_imdb.requests_to(SEARCH)[0].query == {"q": "the matrix"}


def test_search_for_only_people_or_nothing_finds_no_titles(fake_imdb, imdb_client):
    assert imdb_client.search("Keanu Reeves") == []
    assert imdb_client.search("zzzz no such film") == []
    assert imdb_client.search("   ") == []
    assert fake_imdb.calls(SEARCH) == 2  # blank text never reaches the API


def test_search_answers_are_cached(fake_imdb, imdb_client):
    first = imdb_client.search("Toy Story")
    assert imdb_client.search("  toy   STORY ") == first
    assert fake_imdb.calls(SEARCH) == 1


def test_title_details_combine_overview_and_credits(fake_imdb, imdb_client):
    details = imdb_client.title_details("tt0133093")
    assert details.imdb_id == "tt0133093"
    assert (details.title, details.year, details.kind, details.runtime_minutes) == (
        "The Matrix",
        1999,
        "movie",
        136,
    )
    assert details.rating == Decimal("8.7")
    assert details.votes == 2100000
    assert details.genres == ("Action", "Sci-Fi")
    assert details.plot == "A hacker learns what the Matrix really is."
    assert details.directors == ("Lana Wachowski", "Lilly Wachowski")
    assert details.cast[:2] == ("Keanu Reeves", "Laurence Fishburne")
    assert fake_imdb.requests_to(OVERVIEW)[0].query == {"tconst": "tt0133093", "currentCountry": "US"}
    assert fake_imdb.requests_to(CREDITS)[0].query == {"tconst": "tt0133093"}


def test_title_details_are_cached_unless_asked_fresh(fake_imdb, imdb_client):
    imdb_client.title_details("tt0114709")
    imdb_client.title_details("tt0114709")
    assert fake_imdb.calls(OVERVIEW) == 1
    imdb_client.title_details("tt0114709", fresh=True)
    assert fake_imdb.calls(OVERVIEW) == 2


def test_an_unknown_id_has_no_details_and_that_answer_is_cached(fake_imdb, imdb_client):
    assert imdb_client.title_details("tt9999999") is None
    assert imdb_client.title_details("tt9999999") is None
    assert fake_imdb.calls(OVERVIEW) == 1
    assert fake_imdb.calls(CREDITS) == 0  # no credits asked for a title that does not exist


def test_a_malformed_id_is_never_sent(fake_imdb, imdb_client):
    assert imdb_client.title_details("not-an-id") is None
    assert fake_imdb.calls() == 0


def test_find_title_matches_the_exact_title(fake_imdb, imdb_client):
    assert imdb_client.find_title("The Matrix") == "tt0133093"
    assert imdb_client.find_title("the matrix reloaded") == "tt0234215"


def test_find_title_reads_movielens_titles(fake_imdb, imdb_client):
    assert imdb_client.find_title("Matrix, The (1999)") == "tt0133093"
    assert imdb_client.find_title("Toy Story (1995)") == "tt0114709"
    assert imdb_client.find_title("Amelie (Fabuleux destin d'Amélie Poulain, Le) (2001)") == "tt0211915"


def test_find_title_uses_the_year_to_choose_between_films_of_one_name(fake_imdb, imdb_client):
    assert imdb_client.find_title("Dune (1984)") == "tt0087182"
    assert imdb_client.find_title("Dune", year=2021) == "tt1160419"
    assert imdb_client.find_title("Dune", year=2022) == "tt1160419"  # a year off still matches
    assert imdb_client.find_title("Dune") == "tt1160419"  # no year: the more popular film
    assert imdb_client.find_title("Dune (1950)") is None


def test_find_title_prefers_a_film_to_a_more_popular_series(fake_imdb, imdb_client):
    assert imdb_client.find_title("Fargo") == "tt0116282"


def test_find_title_finds_nothing_for_a_merely_similar_title(fake_imdb, imdb_client):
    assert imdb_client.find_title("Toy Story 4") is None
    assert imdb_client.find_title("No Such Film Anywhere") is None


def test_a_title_not_found_is_cached(fake_imdb, imdb_client):
    assert imdb_client.find_title("No Such Film (2001)") is None
    calls = fake_imdb.calls()
    assert imdb_client.find_title("No Such Film (2001)") is None
    assert fake_imdb.calls() == calls


def test_the_client_describes_itself_without_the_key(imdb_client):
    assert TEST_RAPIDAPI_KEY not in repr(imdb_client)
    assert TEST_RAPIDAPI_KEY not in repr(imdb_client.config)
