"""On PostgreSQL, a trigram index serves title search (`icontains` on every word).

Django's icontains on PostgreSQL compares UPPER("title"::text) LIKE UPPER(%s), so the
index is on that expression. SQLite has no trigram index; there search scans titles,
which stays quick at catalogue sizes.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS movie_title_trigram_idx ON movie_module_movie "
    'USING gin ((UPPER("title"::text)) gin_trgm_ops)',
]
DROP = ["DROP INDEX IF EXISTS movie_title_trigram_idx"]


def run_on_postgresql(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("movie_module", "0001_initial")]

    operations = [migrations.RunPython(run_on_postgresql(CREATE), run_on_postgresql(DROP))]
