"""Keep SQLite's search index (migration movie_search_names) attached to the movie table.

`movie_title_search` is an external-content FTS5 table with the trigram tokenizer over the movies'
`search_names`, fed by triggers, so that `search_names LIKE '%word%'` on it is an index
lookup (catalogue/search.py). On SQLite, Django applies many schema changes by rebuilding a
table: a new table, a copy, a drop and a rename. Dropping the old table drops the triggers,
so after every migrate this puts them back and, if they had gone, rebuilds the index.
"""

from django.db import connections

TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS movie_title_search USING fts5("
    "search_names, content='movie_module_movie', content_rowid='id', tokenize='trigram')"
)
TRIGGERS = {
    "movie_title_search_insert": (
        "CREATE TRIGGER movie_title_search_insert AFTER INSERT ON movie_module_movie BEGIN "
        "INSERT INTO movie_title_search(rowid, search_names) VALUES (new.id, new.search_names); END"
    ),
    "movie_title_search_delete": (
        "CREATE TRIGGER movie_title_search_delete AFTER DELETE ON movie_module_movie BEGIN "
        "INSERT INTO movie_title_search(movie_title_search, rowid, search_names) "
        "VALUES ('delete', old.id, old.search_names); END"
    ),
    "movie_title_search_update": (
        "CREATE TRIGGER movie_title_search_update AFTER UPDATE OF search_names ON movie_module_movie BEGIN "
        "INSERT INTO movie_title_search(movie_title_search, rowid, search_names) "
        "VALUES ('delete', old.id, old.search_names); "
        "INSERT INTO movie_title_search(rowid, search_names) VALUES (new.id, new.search_names); END"
    ),
}
REBUILD = "INSERT INTO movie_title_search(movie_title_search) VALUES ('rebuild')"


def ensure_title_search_triggers(using="default", **kwargs):
    """post_migrate: re-create missing triggers and rebuild the index when any was missing."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'movie_title_search'")
        if cursor.fetchone() is None:
            return  # its migration is not applied yet
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {row[0] for row in cursor.fetchall()}
        missing = [name for name in TRIGGERS if name not in present]
        for name in missing:
            cursor.execute(TRIGGERS[name])
        if missing:
            cursor.execute(REBUILD)
