"""`manage.py import_movielens PATH` on small MovieLens-shaped folders written by each test.

MovieLens files may not be redistributed, so every fixture here is a handful of rows
typed by hand in the layout GroupLens ships.
"""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from movie_module.models import CorpusRating, Movie
from movie_module.movielens.parsing import parse_movielens_title

from .factories import CorpusRatingFactory, MovieFactory

pytestmark = pytest.mark.django_db

MOVIES_CSV = """movieId,title,genres
1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy
2,"Matrix, The (1999)",Action|Sci-Fi
3,"Cité des enfants perdus, La (City of Lost Children, The) (1995)",Drama|Fantasy|Mystery|Sci-Fi
4,Some Unreleased Film (2021),(no genres listed)
"""
LINKS_CSV = """movieId,imdbId,tmdbId
1,0114709,862
2,133093,603
3,112682,902
4,10872600,
"""
RATINGS_CSV = """userId,movieId,rating,timestamp
1,1,4.0,964982703
1,2,4.5,964981247
2,2,5.0,964982224
2,3,0.5,964983815
3,4,3.5,964982931
"""


def write_files(folder, files: dict[str, str], encoding: str = "utf-8"):
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding=encoding)
    return folder


def csv_download(tmp_path, *, movies=MOVIES_CSV, links=LINKS_CSV, ratings=RATINGS_CSV):
    return write_files(
        tmp_path / "ml-latest-small", {"movies.csv": movies, "links.csv": links, "ratings.csv": ratings}
    )


def import_movielens(folder, *options) -> str:
    output = StringIO()
    call_command("import_movielens", str(folder), "--no-progress", *options, stdout=output)
    return output.getvalue()


def corpus(source="movielens") -> dict[tuple[str, str], Decimal]:
    return {
        (rating.external_user_id, rating.movie.imdb_id): rating.rating
        for rating in CorpusRating.objects.filter(source=source).select_related("movie")
    }


def test_ml_latest_small_download_becomes_catalogue_movies_and_corpus_ratings(tmp_path):
    output = import_movielens(csv_download(tmp_path))

    matrix = Movie.objects.get(imdb_id="tt0133093")
    assert (matrix.title, matrix.year, matrix.genre_names, matrix.source) == (
        "The Matrix",
        1999,
        ["Action", "Sci-Fi"],
        Movie.Source.MOVIELENS,
    )
    lost_children = Movie.objects.get(imdb_id="tt0112682")
    assert lost_children.title == "La Cité des enfants perdus (The City of Lost Children)"
    assert lost_children.year == 1995
    unreleased = Movie.objects.get(imdb_id="tt10872600")
    assert unreleased.genre_names == []
    assert Movie.objects.get(imdb_id="tt0114709").title == "Toy Story"
    assert corpus() == {
        ("1", "tt0114709"): Decimal("4.0"),
        ("1", "tt0133093"): Decimal("4.5"),
        ("2", "tt0133093"): Decimal("5.0"),
        ("2", "tt0112682"): Decimal("0.5"),
        ("3", "tt10872600"): Decimal("3.5"),
    }
    assert "Movies: 4 created, 0 already in the catalogue" in output
    assert "Ratings: 5 imported, 0 skipped; source 'movielens' now holds 5 ratings." in output
    assert "Skipped rows" not in output


def test_ml_25m_style_download_with_many_ratings_imports_every_one(tmp_path):
    movies = (
        MOVIES_CSV
        + "5,Babylon 5,Sci-Fi\n"
        + '6,"Death Note: Desu nôto (2006–2007)",(no genres listed)\n'
        + '7,"Good, the Bad and the Ugly, The (Buono, il brutto, il cattivo, Il) (1966)",Action|Western\n'
    )
    links = LINKS_CSV + "5,105946,\n6,877057,\n7,60196,429\n"
    # More ratings than one INSERT statement holds.
    ratings = RATINGS_CSV + "".join(
        f"{user},{movie},{1 + user % 9 / 2},1\n" for user in range(10, 410) for movie in (5, 6, 7)
    )

    output = import_movielens(csv_download(tmp_path, movies=movies, links=links, ratings=ratings))

    babylon = Movie.objects.get(imdb_id="tt0105946")
    assert (babylon.title, babylon.year) == ("Babylon 5", None)
    assert Movie.objects.get(imdb_id="tt0877057").year == 2006
    assert Movie.objects.get(imdb_id="tt0060196").title == (
        "The Good, the Bad and the Ugly (Il Buono, il brutto, il cattivo)"
    )
    assert CorpusRating.objects.count() == 1205
    assert corpus()[("405", "tt0060196")] == Decimal("1.0")
    assert corpus()[("17", "tt0105946")] == Decimal("5.0")
    assert "Ratings: 1205 imported, 0 skipped" in output


def test_small_batches_import_the_same_as_one_batch(tmp_path):
    import_movielens(csv_download(tmp_path), "--batch-size", "1")
    in_single_rows = corpus()
    CorpusRating.objects.all().delete()

    output = import_movielens(csv_download(tmp_path), "--batch-size", "2")

    assert corpus() == in_single_rows
    assert len(in_single_rows) == 5
    assert "Ratings: 5 imported, 0 skipped" in output


def test_bad_rows_are_counted_by_reason_and_the_good_rows_still_imported(tmp_path):
    movies = MOVIES_CSV + (
        "x,Not An Id (2000),Drama\n"
        "8,Missing Genres Column (2000)\n"
        "9,Too Many (2000),Drama,extra\n"
        "1,Toy Story Again (1995),Comedy\n"
        "10,No Link Row (2001),Drama\n"
        "11,Bad Link (2001),Drama\n"
    )
    links = LINKS_CSV + "11,tt123,\n12,555,\n2,999,\n"
    ratings = RATINGS_CSV + (
        "1,x,4.0,1\n"  # unparsable movie id
        "y,1,4.0,1\n"  # unparsable user id
        "1,3,6.0,1\n"  # above 5
        "2,1,0,1\n"  # below 0.5
        "3,1,3.7,1\n"  # not a half star
        "3,2,good,1\n"  # not a number
        "4,99,4.0,1\n"  # movie not in movies.csv
        "4,10,4.0,1\n"  # movie without an IMDb id
        "5,1,4.0\n"  # missing column
        "5,2,4.0,1,extra\n"  # too many columns
    )

    output = import_movielens(csv_download(tmp_path, movies=movies, links=links, ratings=ratings))

    assert Movie.objects.count() == 4
    assert CorpusRating.objects.count() == 5
    assert (
        "Movies: 4 created, 0 already in the catalogue (0 given a missing year or genres), 2 unmatched"
        in output
    )
    assert "Ratings: 5 imported, 10 skipped" in output
    for line in [
        "movies.csv: movie id not a positive integer: 1",
        "movies.csv: missing column: 1",
        "movies.csv: too many columns: 1",
        "movies.csv: movie id listed twice: 1",
        "links.csv: IMDb id not 1 to 8 digits: 1",
        "links.csv: movie id not in the movies file: 1",
        "links.csv: movie id listed twice: 1",
        "ratings.csv: movie id not a positive integer: 1",
        "ratings.csv: user id not a positive integer: 1",
        "ratings.csv: rating not 0.5 to 5 in half stars: 3",
        "ratings.csv: rating not a number: 1",
        "ratings.csv: movie id not in the movies file: 1",
        "ratings.csv: movie has no IMDb id (unmatched): 1",
        "ratings.csv: missing column: 1",
        "ratings.csv: too many columns: 1",
    ]:
        assert f"  {line}\n" in output + "\n", line


def test_running_the_import_twice_gives_the_same_catalogue_and_corpus(tmp_path):
    folder = csv_download(tmp_path)
    first = import_movielens(folder)
    movies_after_first, ratings_after_first = list(Movie.objects.values()), corpus()

    second = import_movielens(folder)

    assert list(Movie.objects.values()) == movies_after_first
    assert corpus() == ratings_after_first
    assert "Movies: 0 created, 4 already in the catalogue" in second
    assert (
        first.splitlines()[2]
        == second.splitlines()[2]
        == ("Ratings: 5 imported, 0 skipped; source 'movielens' now holds 5 ratings.")
    )


def test_a_rating_changed_in_a_newer_download_is_updated_on_reimport(tmp_path):
    import_movielens(csv_download(tmp_path))

    import_movielens(csv_download(tmp_path, ratings=RATINGS_CSV.replace("1,2,4.5", "1,2,2.0")))

    assert corpus()[("1", "tt0133093")] == Decimal("2.0")
    assert CorpusRating.objects.count() == 5


def test_existing_catalogue_movie_is_not_overwritten_but_gets_its_missing_year_and_genres(tmp_path):
    matrix = MovieFactory(
        imdb_id="tt0133093", title="The Matrix (richer data)", year=1999, genres=["Thriller"]
    )
    toy_story = MovieFactory(imdb_id="tt0114709", title="Toy Story", year=None, genres=[], plot="Toys.")

    output = import_movielens(csv_download(tmp_path))

    matrix.refresh_from_db()
    toy_story.refresh_from_db()
    assert (matrix.title, matrix.genre_names, matrix.source) == (
        "The Matrix (richer data)",
        ["Thriller"],
        "demo",
    )
    assert (toy_story.year, toy_story.genre_names, toy_story.plot) == (
        1995,
        ["Adventure", "Animation", "Children", "Comedy", "Fantasy"],
        "Toys.",
    )
    assert "Movies: 2 created, 2 already in the catalogue (1 given a missing year or genres)" in output
    assert corpus()[("1", "tt0133093")] == Decimal("4.5")
    # The imported ratings count in the movies' popularity.
    assert matrix.popularity == sum(1 for _, imdb_id in corpus() if imdb_id == "tt0133093") > 0


def test_ratings_of_other_sources_are_untouched(tmp_path):
    matrix = MovieFactory(imdb_id="tt0133093")
    CorpusRatingFactory(source="demo", external_user_id="1", movie=matrix, rating=1.0)

    import_movielens(csv_download(tmp_path), "--source", "movielens-small")

    assert corpus("demo") == {("1", "tt0133093"): Decimal("1.0")}
    assert len(corpus("movielens-small")) == 5


def test_limit_ratings_reads_only_the_first_ratings(tmp_path):
    output = import_movielens(csv_download(tmp_path), "--limit-ratings", "2")

    assert set(corpus()) == {("1", "tt0114709"), ("1", "tt0133093")}
    assert "Ratings: 2 imported" in output


ML_1M_MOVIES = (
    "1::Toy Story (1995)::Animation|Children's|Comedy\n"
    "29::Cité des enfants perdus, La (City of Lost Children, The) (1995)::Adventure|Sci-Fi\n"
    "2571::Matrix, The (1999)::Action|Sci-Fi|Thriller\n"
    "3000::Nowhere In The Catalogue (1998)::Drama\n"
)
ML_1M_RATINGS = "1::1::5::978300760\n1::29::3::978302109\n2::2571::4::978301968\n2::3000::4::978300275\n"


def ml_1m_download(tmp_path, *, movies=ML_1M_MOVIES, ratings=ML_1M_RATINGS):
    return write_files(tmp_path / "ml-1m", {"movies.dat": movies, "ratings.dat": ratings}, encoding="latin-1")


def test_ml_1m_movies_are_matched_to_catalogue_movies_by_title_and_year(tmp_path):
    toy_story = MovieFactory(imdb_id="tt0114709", title="Toy Story", year=1995)
    lost_children = MovieFactory(imdb_id="tt0112682", title="The City of Lost Children", year=1995)
    matrix = MovieFactory(imdb_id="tt0133093", title="The Matrix", year=1999)
    MovieFactory(imdb_id="tt0133094", title="The Matrix", year=2021)

    output = import_movielens(ml_1m_download(tmp_path))

    assert corpus() == {
        ("1", toy_story.imdb_id): Decimal("5.0"),
        ("1", lost_children.imdb_id): Decimal("3.0"),
        ("2", matrix.imdb_id): Decimal("4.0"),
    }
    assert Movie.objects.count() == 4
    assert "Movies: 0 created, 3 already in the catalogue" in output
    assert "1 unmatched (no IMDb id; their ratings skipped)" in output
    assert "ratings.dat: movie has no IMDb id (unmatched): 1" in output


def test_ml_1m_latin_1_title_matches_the_catalogue_title_with_accents(tmp_path):
    movie = MovieFactory(imdb_id="tt0112682", title="La Cité des enfants perdus", year=1995)

    import_movielens(ml_1m_download(tmp_path))

    assert corpus() == {("1", movie.imdb_id): Decimal("3.0")}


def test_ml_1m_movie_with_two_catalogue_candidates_is_left_unmatched(tmp_path):
    MovieFactory(title="Toy Story", year=1995)
    MovieFactory(title="Toy Story!", year=1995)

    output = import_movielens(ml_1m_download(tmp_path))

    assert corpus() == {}
    assert "4 unmatched" in output


def test_ml_1m_bad_rows_are_counted_and_a_rerun_changes_nothing(tmp_path):
    MovieFactory(imdb_id="tt0114709", title="Toy Story", year=1995)
    ratings = ML_1M_RATINGS + "3::1::6::1\n4::1\nx::1::3::1\n5::1::2::1::9\n6::1::3.5::1\n"
    folder = ml_1m_download(tmp_path, movies=ML_1M_MOVIES + "oops::Bad Id (1990)::Drama\n", ratings=ratings)

    first = import_movielens(folder)
    second = import_movielens(folder)

    assert first == second
    assert corpus() == {("1", "tt0114709"): Decimal("5.0"), ("6", "tt0114709"): Decimal("3.5")}
    for line in [
        "movies.dat: movie id not a positive integer: 1",
        "ratings.dat: rating not 0.5 to 5 in half stars: 1",
        "ratings.dat: missing column: 1",
        "ratings.dat: user id not a positive integer: 1",
        "ratings.dat: too many columns: 1",
        "ratings.dat: movie has no IMDb id (unmatched): 3",
    ]:
        assert line in first


def test_folder_missing_a_file_is_an_error_naming_the_file(tmp_path):
    folder = csv_download(tmp_path)
    (folder / "links.csv").unlink()

    with pytest.raises(CommandError, match="lacks links.csv"):
        import_movielens(folder)
    assert not Movie.objects.exists()


def test_folder_without_movielens_files_is_an_error_listing_the_expected_files(tmp_path):
    csv_download(tmp_path)

    with pytest.raises(
        CommandError, match=r"holds no MovieLens download: expected movies\.csv.*ml-latest-small"
    ):
        import_movielens(tmp_path)


def test_path_that_is_not_a_folder_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="is not a folder"):
        import_movielens(tmp_path / "nowhere")


def test_ratings_file_without_a_rating_column_is_an_error(tmp_path):
    folder = csv_download(tmp_path, ratings="userId,movieId,stars,timestamp\n1,1,4.0,1\n")

    with pytest.raises(CommandError, match="ratings.csv has no column rating"):
        import_movielens(folder)
    assert not CorpusRating.objects.exists()


def test_progress_bar_goes_to_stderr_and_the_summary_to_stdout(tmp_path, capsys):
    output = StringIO()
    call_command("import_movielens", str(csv_download(tmp_path)), stdout=output)

    assert "ratings" in capsys.readouterr().err
    assert output.getvalue().startswith("MovieLens csv (ml-latest-small, ml-25m) from ")


@pytest.mark.parametrize(
    ("movielens_title", "title", "year"),
    [
        ("Matrix, The (1999)", "The Matrix", 1999),
        ("Bug's Life, A (1998)", "A Bug's Life", 1998),
        ("Misérables, Les (1995)", "Les Misérables", 1995),
        ("Homme et une femme, Un (1966)", "Un Homme et une femme", 1966),
        ("Postino, Il (The Postman) (1994)", "Il Postino (The Postman)", 1994),
        ("I, Robot (2004)", "I, Robot", 2004),
        ("(500) Days of Summer (2009)", "(500) Days of Summer", 2009),
        (
            "Crouching Tiger, Hidden Dragon (Wo hu cang long) (2000)",
            "Crouching Tiger, Hidden Dragon (Wo hu cang long)",
            2000,
        ),
        ("Babylon 5", "Babylon 5", None),
    ],
)
def test_movielens_titles_get_their_article_back_in_front(movielens_title, title, year):
    assert parse_movielens_title(movielens_title)[:2] == (title, year)
