"""The genres each movie held as a JSON list move to the Genre table; the movies' counters
are counted from what is stored. (Apart from the schema changes: PostgreSQL refuses an ALTER
TABLE in a transaction with pending foreign key checks.)"""

from django.db import migrations
from django.db.models import Avg, Count, FloatField, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Lower


def move_genres_to_the_table(apps, schema_editor):
    Movie = apps.get_model("movie_module", "Movie")
    Genre = apps.get_model("movie_module", "Genre")
    MovieGenre = apps.get_model("movie_module", "MovieGenre")
    genre_ids: dict[str, int] = {}
    links = []
    for movie_id, names in Movie.objects.values_list("id", "legacy_genres").iterator(chunk_size=2000):
        linked = set()
        for name in names if isinstance(names, list) else []:
            name = " ".join(str(name).split())[:64]
            if not name or name.lower() in linked:
                continue
            linked.add(name.lower())
            if name.lower() not in genre_ids:
                existing = Genre.objects.annotate(key=Lower("name")).filter(key=name.lower()).first()
                genre_ids[name.lower()] = (existing or Genre.objects.create(name=name)).id
            links.append(MovieGenre(movie_id=movie_id, genre_id=genre_ids[name.lower()]))
    MovieGenre.objects.bulk_create(links, batch_size=2000)


def move_genres_back(apps, schema_editor):
    Movie = apps.get_model("movie_module", "Movie")
    MovieGenre = apps.get_model("movie_module", "MovieGenre")
    names: dict[int, list[str]] = {}
    for movie_id, name in MovieGenre.objects.order_by("genre__name").values_list("movie_id", "genre__name"):
        names.setdefault(movie_id, []).append(name)
    for movie_id, genres in names.items():
        Movie.objects.filter(id=movie_id).update(legacy_genres=genres)


def count_reviews_and_popularity(apps, schema_editor):
    Movie = apps.get_model("movie_module", "Movie")

    def per_movie(model_name, aggregate, output_field):
        model = apps.get_model("movie_module", model_name)
        rows = model.objects.filter(movie=OuterRef("pk")).order_by().values("movie").annotate(value=aggregate)
        return Subquery(rows.values("value")[:1], output_field=output_field)

    def count(model_name):
        return Coalesce(per_movie(model_name, Count("id"), IntegerField()), Value(0))

    Movie.objects.update(
        review_count=count("Review"),
        average_rating=per_movie("Review", Avg("rating", output_field=FloatField()), FloatField()),
        popularity=count("Review") + count("WatchlistItem") + count("CorpusRating"),
    )


class Migration(migrations.Migration):
    dependencies = [("movie_module", "0009_genre_table_and_movie_counters")]

    operations = [
        migrations.RunPython(move_genres_to_the_table, move_genres_back),
        migrations.RunPython(count_reviews_and_popularity, migrations.RunPython.noop),
    ]
