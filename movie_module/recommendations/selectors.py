"""Reads behind the recommendations."""

from typing import NamedTuple

from movie_module.catalogue.selectors import movie_with_title
from movie_module.models import Movie


def movies_for_recommendations(recommended) -> list[Movie | None]:
    """The catalogue movie each recommended `(title, score)` names: the one the recommender
    named by id, else one of that title; None where the catalogue has none."""
    known = Movie.objects.in_bulk([pair.movie_id for pair in recommended if pair.movie_id])
    return [known.get(pair.movie_id) or movie_with_title(pair.title, pair.year) for pair in recommended]


class RecommendedMovie(NamedTuple):
    """A recommended `(title, score)` with the movie it names, or None (RecommendedMovieSerializer)."""

    title: str
    score: float
    movie: Movie | None
