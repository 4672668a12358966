"""Reads behind the recommendations."""

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
        known.get(pair.movie_id) or imdb_sync.resolve_title(pair.title, pair.year) for pair in recommended
    ]
    attach_review_stats(movie for movie in movies if movie is not None)
    return movies
