"""Where the alternate titles that search finds come from: MovieLens imports, the IMDb API,
and every way a title is written; and the admin's search on them."""

from io import StringIO

import pytest
from django.core.management import call_command

from authentication.tests.factories import UserFactory
from conftest import point_imdb_client_at
from movie_module.models import Movie
from tests.fake_imdb import FakeImdb, FakeTitle

from .factories import MovieFactory
from .test_movie_search import search, titles

pytestmark = pytest.mark.django_db


def test_a_movielens_import_gives_a_catalogue_film_its_original_title(api_client, tmp_path):
    MovieFactory(imdb_id="tt0211915", title="Amélie", year=2001)
    folder = tmp_path / "ml-1m"
    folder.mkdir()
    (folder / "movies.dat").write_text(
        "4973::Amelie (Fabuleux destin d'Amélie Poulain, Le) (2001)::Comedy|Romance\n", encoding="latin-1"
    )
    (folder / "ratings.dat").write_text("1::4973::5::978300760\n", encoding="latin-1")
    assert search(api_client, "le fabuleux destin")["count"] == 0

    call_command("import_movielens", str(folder), "--no-progress", stdout=StringIO())

    assert titles(api_client, "le fabuleux destin") == ["Amélie"]
    assert Movie.objects.get(imdb_id="tt0211915").alternate_titles == ["Le Fabuleux destin d'Amélie Poulain"]


def test_a_movielens_title_is_found_by_each_of_its_names(api_client, tmp_path):
    folder = tmp_path / "ml-latest-small"
    folder.mkdir()
    (folder / "movies.csv").write_text(
        'movieId,title,genres\n4973,"Amelie (Fabuleux destin d\'Amélie Poulain, Le) (2001)",Comedy|Romance\n'
    )
    (folder / "links.csv").write_text("movieId,imdbId,tmdbId\n4973,0211915,194\n")
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,4973,5.0,978300760\n")

    call_command("import_movielens", str(folder), "--no-progress", stdout=StringIO())

    for typed in ("amelie", "Le fabuleux destin", "fabuleux destin d amelie"):
        assert titles(api_client, typed) == ["Amelie (Le Fabuleux destin d'Amélie Poulain)"]


def test_the_imdb_apis_name_for_a_stored_film_becomes_an_alternate_title(api_client, settings):
    MovieFactory(imdb_id="tt0110413", title="Léon", year=1994)
    with FakeImdb(titles=[FakeTitle("tt0110413", "Léon: The Professional", 1994)]) as imdb:
        point_imdb_client_at(settings, imdb.url)
        assert titles(api_client, "leon") == ["Léon"]
    settings.RAPIDAPI_KEY = ""  # the API off: the catalogue answers alone

    assert titles(api_client, "the professional") == ["Léon"]
    assert Movie.objects.get(imdb_id="tt0110413").alternate_titles == ["Léon: The Professional"]


def test_a_renamed_film_is_found_by_its_new_title_whichever_way_it_was_written(api_client):
    movie = MovieFactory(title="Untitled Project")
    Movie.objects.filter(pk=movie.pk).update(title="Solaris")
    assert titles(api_client, "solaris") == ["Solaris"]
    movie.refresh_from_db()
    movie.title = "Stalker"
    Movie.objects.bulk_update([movie], ["title"])
    assert titles(api_client, "stalkre") == ["Stalker"]
    movie.title = "Mirror"
    movie.save(update_fields=["title"])
    assert titles(api_client, "mirorr") == ["Mirror"]  # two letters swapped: one typo
    assert titles(api_client, "mirorrr") == []  # two typos
    assert search(api_client, "solaris")["count"] == 0


def test_staff_find_a_film_in_the_admin_by_its_alternate_title(client):
    MovieFactory(title="Amélie", alternate_titles=["Le Fabuleux Destin d'Amélie Poulain"])
    MovieFactory(title="Heat")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get("/admin/movie_module/movie/", {"q": "Fabuleux Destin"}).content.decode()
    assert "Amélie" in page and "Heat" not in page


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("Le fabuleux destin", "Amélie"),
        ("amelie", "Amélie"),
        ("leon", "Léon: The Professional"),
        ("godfahter", "The Godfather"),
        ("sen to chihiro", "Spirited Away"),
        ("das leben der anderen", "The Lives of Others"),
    ],
)
def test_the_demo_catalogue_is_found_as_people_type_it(api_client, typed, first):
    call_command("load_demo_data", "--users", "5", stdout=StringIO())
    assert titles(api_client, typed)[0] == first
