"""The models of issue 17 (diary, lists, follows, review likes), on another branch when this
was written: the one place that says whether they exist.

==== MERGE POINT: the one switch ======================================================
MERGED is False until movie_module (and authentication, for follows) has the models of
issue 17. At merge: set it to True and check the names in `models()` against the merged
models. They are used as the contract (../shared/API.md) shapes them:
  Watch(user, movie, watched_on, rating, note)
  MovieList(owner, name, description, public, created_at, updated_at)
  MovieListItem(movie_list, movie, position, note)
  Follow(follower, followed, created_at)        ReviewLike(user, review, created_at)
What reads them: imports/diary_and_lists.py (imported diary watches and list items) and
export/issue17_exporters.py (diary.csv, lists/*.csv, follows and likes in scrapbook.json).
Account deletion needs nothing: it deletes the user, and every table pointing at it
cascades (tests/test_account_deletion.py checks every FK to the user, new ones included).
========================================================================================
"""

from types import SimpleNamespace

from django.apps import apps

MERGED = False


def models() -> SimpleNamespace:
    """Issue 17's models by the names used here. Only call when MERGED."""
    return SimpleNamespace(
        Watch=apps.get_model("movie_module", "Watch"),
        MovieList=apps.get_model("movie_module", "MovieList"),
        MovieListItem=apps.get_model("movie_module", "MovieListItem"),
        Follow=apps.get_model("authentication", "Follow"),
        ReviewLike=apps.get_model("movie_module", "ReviewLike"),
    )
