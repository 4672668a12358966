"""On SQLite, an FTS5 trigram index serves title search, like pg_trgm on PostgreSQL.

An external-content FTS5 table mirrors movie titles; triggers keep it in step with every
insert, update and delete, so `title LIKE '%word%'` on it is an index lookup.
"""

from django.db import migrations

CREATE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS movie_title_search USING fts5("
    "title, content='movie_module_movie', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS movie_title_search_insert AFTER INSERT ON movie_module_movie BEGIN "
    "INSERT INTO movie_title_search(rowid, title) VALUES (new.id, new.title); END",
    "CREATE TRIGGER IF NOT EXISTS movie_title_search_delete AFTER DELETE ON movie_module_movie BEGIN "
    "INSERT INTO movie_title_search(movie_title_search, rowid, title) VALUES ('delete', old.id, old.title); END",
    "CREATE TRIGGER IF NOT EXISTS movie_title_search_update AFTER UPDATE OF title ON movie_module_movie BEGIN "
    "INSERT INTO movie_title_search(movie_title_search, rowid, title) VALUES ('delete', old.id, old.title); "
    "INSERT INTO movie_title_search(rowid, title) VALUES (new.id, new.title); END",
    "INSERT INTO movie_title_search(movie_title_search) VALUES ('rebuild')",
]
DROP = [
    "DROP TRIGGER IF EXISTS movie_title_search_insert",
    "DROP TRIGGER IF EXISTS movie_title_search_delete",
    "DROP TRIGGER IF EXISTS movie_title_search_update",
    "DROP TABLE IF EXISTS movie_title_search",
]


def run_on_sqlite(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("movie_module", "0002_title_trigram_index")]

    operations = [migrations.RunPython(run_on_sqlite(CREATE), run_on_sqlite(DROP))]
