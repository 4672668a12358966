"""Forgiving search: every name of a movie folded into `search_names` (its trigram index on
each engine), the main one into `search_key`, alternate titles, and the typo vocabulary.

SQLite's FTS5 table of migration 0003 is rebuilt over `search_names` instead of `title`;
PostgreSQL gets a pg_trgm GIN index on `search_names` (0002's on the title stays: the admin
searches titles with it).
"""

from importlib import import_module

from django.db import migrations, models

from movie_module.titles import one_letter_deletions, search_key, search_names, typo_words

SQLITE_OLD = [
    "DROP TRIGGER IF EXISTS movie_title_search_insert",
    "DROP TRIGGER IF EXISTS movie_title_search_delete",
    "DROP TRIGGER IF EXISTS movie_title_search_update",
    "DROP TABLE IF EXISTS movie_title_search",
]
# Without GIN's pending list (fastupdate): after a bulk import, a search would scan the
# list's unsorted entries until the next vacuum (100,000 titles: 18 ms instead of 0.2 ms).
POSTGRESQL_INDEX = (
    "CREATE INDEX IF NOT EXISTS movie_search_names_trigram_idx ON movie_module_movie "
    "USING gin (search_names gin_trgm_ops) WITH (fastupdate = off)"
)


def fill_search_columns(apps, schema_editor):
    Movie = apps.get_model("movie_module", "Movie")
    TitleWordVariant = apps.get_model("movie_module", "TitleWordVariant")
    movies = list(Movie.objects.only("title", "alternate_titles"))
    words = set()
    for movie in movies:
        movie.search_names = search_names(movie.title, movie.alternate_titles or [])
        movie.search_key = search_key(movie.title)[:300]
        words |= typo_words(movie.search_names.split("\n"))
    Movie.objects.bulk_update(movies, ["search_names", "search_key"], batch_size=500)
    TitleWordVariant.objects.bulk_create(
        [
            TitleWordVariant(variant=variant, word=word)
            for word in words
            for variant in one_letter_deletions(word)
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )


def create_search_index(apps, schema_editor):
    from movie_module.catalogue.search_index import REBUILD, TABLE, TRIGGERS

    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for statement in [*SQLITE_OLD, TABLE, *TRIGGERS.values(), REBUILD]:
            schema_editor.execute(statement)
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_INDEX)


def drop_search_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":  # back to migration 0003's index on titles
        title_index = import_module("movie_module.migrations.0003_sqlite_title_search_index")
        for statement in [*SQLITE_OLD, *title_index.CREATE]:
            schema_editor.execute(statement)
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS movie_search_names_trigram_idx")


class Migration(migrations.Migration):
    dependencies = [("movie_module", "0006_watched_at_after_first_films")]

    operations = [
        migrations.AddField(
            model_name="movie",
            name="alternate_titles",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="movie",
            name="search_names",
            field=models.TextField(default="", editable=False),
        ),
        migrations.AddField(
            model_name="movie",
            name="search_key",
            field=models.CharField(db_index=True, default="", editable=False, max_length=300),
        ),
        migrations.CreateModel(
            name="TitleWordVariant",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("variant", models.CharField(max_length=40)),
                ("word", models.CharField(max_length=40)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("variant", "word"), name="title_word_variant_unique")
                ],
            },
        ),
        migrations.RunPython(fill_search_columns, migrations.RunPython.noop),
        migrations.RunPython(create_search_index, drop_search_index),
    ]
