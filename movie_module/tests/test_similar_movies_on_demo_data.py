"""The demo's "similar movies" lists as a visitor sees them: long enough, varied, and a
series' next film near the top. Measured through the API after `make run`'s two commands."""

import io
from collections import Counter

import pytest
from django.core.management import call_command

from movie_module.catalogue import demo

pytestmark = pytest.mark.django_db

# A film and the one that continues it.
SERIES_NEXT = {
    "tt0068646": "tt0071562",  # The Godfather -> The Godfather Part II
    "tt0114709": "tt0120363",  # Toy Story -> Toy Story 2
    "tt0078748": "tt0090605",  # Alien -> Aliens
    "tt0112471": "tt0381681",  # Before Sunrise -> Before Sunset
}


@pytest.fixture
def similar_lists(api_client):
    """Every demo film's top-10 similar movies (IMDb ids), after load_demo_data and a fit."""
    call_command("load_demo_data", stdout=io.StringIO())
    call_command("fit_recommender", stdout=io.StringIO())
    lists = {}
    for film in demo.load_catalogue():
        response = api_client.get(f"/api/movies/{film['imdb_id']}/similar/")
        assert response.status_code == 200
        lists[film["imdb_id"]] = [result["movie"]["imdb_id"] for result in response.json()["results"]]
    return lists


def test_the_demo_similar_lists_are_long_varied_and_find_the_next_film_of_a_series(similar_lists):
    assert len(similar_lists) == len(demo.load_catalogue())
    assert {imdb_id: len(similar) for imdb_id, similar in similar_lists.items() if len(similar) < 10} == {}
    assert [imdb_id for imdb_id, similar in similar_lists.items() if imdb_id in similar] == []

    # No film is in more than a tenth of the lists, and most films are in some list.
    listed = Counter(imdb_id for similar in similar_lists.values() for imdb_id in similar)
    most_listed, count = listed.most_common(1)[0]
    assert count <= 0.1 * len(similar_lists), f"{most_listed} is in {count} of {len(similar_lists)} lists"
    assert len(listed) >= 0.8 * len(similar_lists)

    missed = {
        film: similar_lists[film][:5]
        for film, next_film in SERIES_NEXT.items()
        if next_film not in similar_lists[film][:5]
    }
    assert missed == {}
