"""Keep SQLite's title search index (migration 0003) attached to the movie table.

On SQLite, Django applies many schema changes by rebuilding a table: a new table, a copy,
a drop and a rename. Dropping the old table drops the triggers that feed the FTS5 index,
so after every migrate this puts them back and, if they had gone, rebuilds the index.
"""

from django.db import connections

TRIGGERS = {
    "movie_title_search_insert": (
        "CREATE TRIGGER movie_title_search_insert AFTER INSERT ON movie_module_movie BEGIN "
        "INSERT INTO movie_title_search(rowid, title) VALUES (new.id, new.title); END"
    ),
    "movie_title_search_delete": (
        "CREATE TRIGGER movie_title_search_delete AFTER DELETE ON movie_module_movie BEGIN "
        "INSERT INTO movie_title_search(movie_title_search, rowid, title) "
        "VALUES ('delete', old.id, old.title); END"
    ),
    "movie_title_search_update": (
        "CREATE TRIGGER movie_title_search_update AFTER UPDATE OF title ON movie_module_movie BEGIN "
        "INSERT INTO movie_title_search(movie_title_search, rowid, title) "
        "VALUES ('delete', old.id, old.title); "
        "INSERT INTO movie_title_search(rowid, title) VALUES (new.id, new.title); END"
    ),
}


def ensure_title_search_triggers(using="default", **kwargs):
    """post_migrate: re-create missing triggers and rebuild the index when any was missing."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'movie_title_search'")
        if cursor.fetchone() is None:
            return  # migration 0003 not applied yet
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {row[0] for row in cursor.fetchall()}
        missing = [name for name in TRIGGERS if name not in present]
        for name in missing:
            cursor.execute(TRIGGERS[name])
        if missing:
            cursor.execute("INSERT INTO movie_title_search(movie_title_search) VALUES ('rebuild')")
