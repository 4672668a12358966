from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command

from movie_module.recommendations import services
from movie_module.recommendations import store as model_store

from .factories import CorpusRatingFactory, MovieFactory, ReviewFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(db):
    movies = MovieFactory.create_batch(6)
    for person in range(12):
        for movie in movies[person % 2 :: 2]:
            CorpusRatingFactory(external_user_id=str(person), movie=movie, rating=4.5)
    return movies


def test_fit_recommender_saves_a_model_that_workers_load(corpus, capsys):
    assert model_store.current_models() is None
    call_command("fit_recommender")
    assert "Fitted the recommender on 36 ratings of 6 movies" in capsys.readouterr().out
    models = model_store.current_models()
    assert models.similarity.movie_count == 6
    assert models.titles[corpus[0].id] == (corpus[0].title, corpus[0].year)


def test_a_worker_picks_up_a_newer_fit_without_a_restart(corpus, settings):
    settings.RECOMMENDER_RELOAD_CHECK_SECONDS = 0
    model_store.fit_and_save()
    first = model_store.current_models()
    newcomer = MovieFactory()
    for person in range(6):
        CorpusRatingFactory(external_user_id=f"new{person}", movie=newcomer, rating=5)
    model_store.fit_and_save()
    second = model_store.current_models()
    assert second is not first
    assert second.similarity.movie_count == 7


def test_the_saved_files_replace_the_old_ones_whole(corpus, recommender_model_directory):
    model_store.fit_and_save()
    model_store.fit_and_save()
    leftovers = [path.name for path in Path(recommender_model_directory).iterdir() if "tmp" in path.name]
    assert leftovers == []


def test_a_refit_is_due_only_after_enough_new_reviews(corpus, settings, user):
    settings.RECOMMENDER_REFIT_AFTER_REVIEWS = 2
    assert services.recommender_refit_if_due() is not None  # never fitted: due
    assert services.recommender_refit_if_due() is None
    ReviewFactory(user=user, movie=corpus[0])
    assert services.recommender_refit_if_due() is None
    ReviewFactory(movie=corpus[1])
    assert services.recommender_refit_if_due()["ratings"] == 38


def test_a_refit_delivered_again_after_its_worker_died_takes_over_its_lock(corpus):
    cache.add(services.FIT_LOCK_KEY, "job-1", timeout=600)  # left by job-1's worker, killed mid-fit
    assert services.recommender_refit(job_id="job-2") is None  # a fit is running, for all it knows
    assert services.recommender_refit() is None
    assert services.recommender_refit(job_id="job-1")["ratings"] == 36
    assert cache.get(services.FIT_LOCK_KEY) is None


def test_fit_if_due_says_when_nothing_is_to_do(corpus, capsys):
    call_command("fit_recommender")
    call_command("fit_recommender", "--if-due")
    assert "up to date" in capsys.readouterr().out


def test_evaluate_recommender_on_stored_ratings_prints_every_model(corpus, capsys):
    call_command("evaluate_recommender")
    output = capsys.readouterr().out
    for model in ("Scrapbook ItemSimilarityModel", "popularity", "item-kNN cosine", "EASE (lambda 250"):
        assert f"| {model}" in output
    assert "nDCG@10 | share of EASE" in output


def test_evaluate_recommender_reads_a_movielens_folder(tmp_path, capsys, db):
    lines = ["userId,movieId,rating,timestamp"]
    for user in range(1, 21):
        for movie in range(1, 11):
            if (user + movie) % 3:
                lines.append(f"{user},{movie},{4.5 if (user % 2) == (movie % 2) else 2.0},0")
    (tmp_path / "ratings.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "movies.csv").write_text(
        "movieId,title,genres\n" + "".join(f"{n},Movie {n} (2000),Drama\n" for n in range(1, 11))
    )
    (tmp_path / "links.csv").write_text("movieId,imdbId,tmdbId\n")
    call_command("evaluate_recommender", str(tmp_path))
    output = capsys.readouterr().out
    assert output.startswith(f"{len(lines) - 1} ratings by 20 users of 10 movies")
    assert "| Scrapbook ItemSimilarityModel |" in output


def test_evaluate_recommender_refuses_a_missing_folder(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("evaluate_recommender", str(tmp_path / "nowhere"))
