"""`make run`'s demo data: the catalogue shipped in movie_module/fixtures loads."""

from movie_module.catalogue import demo


def test_the_demo_catalogue_ships_with_the_code():
    films = demo.load_catalogue()
    assert len(films) == 314
    assert {"imdb_id", "title", "year", "genres", "directors", "cast"} <= set(films[0])
