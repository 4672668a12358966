"""Reads behind the recommendations."""

from typing import NamedTuple

from movie_module.catalogue import services as imdb_sync
from movie_module.catalogue.selectors import attach_review_stats
from movie_module.models import Movie


def movies_for_recommendations(recommended) -> list[Movie | None]:
    """Resolve each recommended `(title, score)` to a catalogue movie with its review stats.

    The movie the recommender named comes from the local catalogue; a title it no longer
    holds goes to the catalogue by title, then to the IMDb API. None when nothing matches.
    """
    known = Movie.objects.in_bulk([pair.movie_id for pair in recommended if pair.movie_id])
    movies = [
        known.get(pair.movie_id) or imdb_sync.resolve_title(pair.title, getattr(pair, "year", None))
        for pair in recommended
    ]
    attach_review_stats(movie for movie in movies if movie is not None)
    return movies


class RecommendedMovie(NamedTuple):
    """A recommended `(title, score)` with the movie it names, or None (RecommendedMovieSerializer)."""

    title: str
    score: float
    movie: Movie | None


def recommended_movies(recommended) -> list[RecommendedMovie]:
    """Each recommended `(title, score)` with its movie, as `movies_for_recommendations` resolves it."""
    movies = movies_for_recommendations(recommended)
    pairs_and_movies = zip(recommended, movies, strict=True)
    return [RecommendedMovie(pair.title, pair.score, movie) for pair, movie in pairs_and_movies]
