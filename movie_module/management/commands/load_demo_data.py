from django.core.management.base import BaseCommand
from django.db import transaction

from movie_module.catalogue import demo
from movie_module.catalogue.counters import recount_all_movies
from movie_module.catalogue.genres import set_movie_genres
from movie_module.models import CorpusRating, Movie

# The genres are links, written apart (catalogue/genres.py).
DEMO_FIELDS = ["title", "year", "runtime_minutes", "directors", "cast", "alternate_titles"]


def demo_fields(film: dict) -> dict:
    return {field: film[field] for field in DEMO_FIELDS}


class Command(BaseCommand):
    help = "Load the demo catalogue and the demo ratings corpus. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=1500, help="synthetic raters (default 1500)")

    @transaction.atomic
    def handle(self, *args, users, **options):
        films = demo.load_catalogue()
        existing = Movie.objects.in_bulk([film["imdb_id"] for film in films], field_name="imdb_id")
        new_movies, refreshed = [], []
        for film in films:
            movie = existing.get(film["imdb_id"])
            if movie is None:
                new_movies.append(
                    Movie(source=Movie.Source.DEMO, imdb_id=film["imdb_id"], **demo_fields(film))
                )
            elif movie.source == Movie.Source.DEMO:
                # Movies fetched from the IMDb API or edited by staff keep their richer data.
                for field, value in demo_fields(film).items():
                    setattr(movie, field, value)
                refreshed.append(movie)
        Movie.objects.bulk_create(new_movies, batch_size=500, ignore_conflicts=True)
        Movie.objects.bulk_update(refreshed, DEMO_FIELDS, batch_size=500)

        movie_ids = dict(
            Movie.objects.filter(imdb_id__in=[film["imdb_id"] for film in films]).values_list("imdb_id", "id")
        )
        demo_movies = {movie.imdb_id for movie in [*new_movies, *refreshed]}
        set_movie_genres(
            {movie_ids[film["imdb_id"]]: film["genres"] for film in films if film["imdb_id"] in demo_movies}
        )
        ratings = [
            CorpusRating(
                source=demo.DEMO_SOURCE,
                external_user_id=rating.external_user_id,
                movie_id=movie_ids[rating.imdb_id],
                rating=rating.rating,
            )
            for rating in demo.demo_ratings(films, users=users)
        ]
        # The corpus is generated whole: replace it, so a re-run leaves exactly this set.
        CorpusRating.objects.filter(source=demo.DEMO_SOURCE).delete()
        CorpusRating.objects.bulk_create(ratings, batch_size=5000)
        recount_all_movies()  # their popularity counts the corpus
        self.stdout.write(
            f"Demo catalogue: {len(new_movies)} movies added, {len(existing)} already there; "
            f"demo corpus: {len(ratings)} ratings by {users} synthetic users."
        )
