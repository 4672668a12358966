"""Export files as the services write them, built in the tests: BOMs, CRLF line endings,
quoted fields with commas and line breaks, each service's dates."""

import io
import json
import zipfile


def crlf_csv(*lines: str, bom: bool = True) -> bytes:
    return ("\ufeff" if bom else "").encode() + "\r\n".join(lines).encode() + b"\r\n"


LETTERBOXD_RATINGS = crlf_csv(
    "Date,Name,Year,Letterboxd URI,Rating",
    "2021-03-04,The Matrix,1999,https://boxd.it/2a1m,4.5",
    '2022-07-09,"Crouching Tiger, Hidden Dragon",2000,https://boxd.it/1t0g,4',
    "2020-01-02,Amélie,2001,https://boxd.it/29NM,5",
    "2019-05-06,A Film Nobody Has,2011,https://boxd.it/zzzz,3",
)
LETTERBOXD_REVIEWS = crlf_csv(
    "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Review,Tags,Watched Date",
    '2021-03-05,The Matrix,1999,https://boxd.it/x1,4.5,,"Still great, still ""the one"".\nTwo lines.",,2021-03-04',  # noqa: E501
)
LETTERBOXD_WATCHLIST = crlf_csv(
    "Date,Name,Year,Letterboxd URI",
    "2023-01-01,Toy Story,1995,https://boxd.it/29Na",
)
LETTERBOXD_WATCHED = crlf_csv(
    "Date,Name,Year,Letterboxd URI",
    "2018-02-03,Toy Story,1995,https://boxd.it/29Na",
    "2018-02-04,The Matrix,1999,https://boxd.it/2a1m",
)
LETTERBOXD_DIARY = crlf_csv(
    "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date",
    "2021-03-05,The Matrix,1999,https://boxd.it/x1,4.5,,,2021-03-04",
)
LETTERBOXD_LIST = crlf_csv(
    "Letterboxd list export v7",
    "Date,Name,Tags,URL,Description",
    '2022-01-01,Favourites,,https://boxd.it/l1,"Mine, all mine"',
    "",
    "Position,Name,Year,URL,Description",
    "1,The Matrix,1999,https://boxd.it/2a1m,",
)


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def letterboxd_export() -> bytes:
    return zipped(
        {
            "profile.csv": b"Date Joined,Username\r\n2015-01-01,someone\r\n",
            "ratings.csv": LETTERBOXD_RATINGS,
            "reviews.csv": LETTERBOXD_REVIEWS,
            "watchlist.csv": LETTERBOXD_WATCHLIST,
            "watched.csv": LETTERBOXD_WATCHED,
            "diary.csv": LETTERBOXD_DIARY,
            "lists/favourites.csv": LETTERBOXD_LIST,
            "likes/films.csv": b"Date,Name,Year,Letterboxd URI\r\n",
        }
    )


IMDB_RATINGS = crlf_csv(
    "Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,"
    "Genres,Num Votes,Release Date,Directors",
    "tt0133093,9,2021-03-04,The Matrix,The Matrix,https://www.imdb.com/title/tt0133093/,Movie,8.7,136,1999,"
    '"Action, Sci-Fi",2000000,1999-03-24,"Lana Wachowski, Lilly Wachowski"',
    "tt0211915,10,2020-01-02,Amélie,Le fabuleux destin d'Amélie Poulain,https://www.imdb.com/title/tt0211915/,"
    'Movie,8.3,122,2001,"Comedy, Romance",700000,2001-04-25,Jean-Pierre Jeunet',
    "tt0903747,10,2019-05-06,Breaking Bad,Breaking Bad,https://www.imdb.com/title/tt0903747/,TV Series,9.5,49,"  # noqa: E501
    "2008,Drama,2000000,2008-01-20,",
    "tt9999998,7,2019-05-07,Not Here,Not Here,https://www.imdb.com/title/tt9999998/,Movie,6.0,90,2011,Drama,"
    "10,2011-01-01,",
)
IMDB_WATCHLIST = crlf_csv(
    "Position,Const,Created,Modified,Description,Title,Original Title,URL,Title Type,IMDb Rating,"
    "Runtime (mins),Year,Genres,Num Votes,Release Date,Directors,Your Rating,Date Rated",
    "1,tt0114709,2023-01-01,2023-01-01,,Toy Story,Toy Story,https://www.imdb.com/title/tt0114709/,Movie,8.3,81,"
    "1995,Animation,1000000,1995-11-22,John Lasseter,,",
)


def trakt_movie(title, year, imdb):
    return {"title": title, "year": year, "ids": {"trakt": 1, "slug": "x", "imdb": imdb, "tmdb": 2}}


TRAKT_RATINGS = json.dumps(
    [
        {"rated_at": "2021-03-04T20:15:00.000Z", "rating": 8, "type": "movie",
         "movie": trakt_movie("The Matrix", 1999, "tt0133093")},
        {"rated_at": "2020-01-02T10:00:00.000Z", "rating": 10, "type": "movie",
         "movie": trakt_movie("Amélie", 2001, None)},
        {"rated_at": "2020-01-02T10:00:00.000Z", "rating": 9, "type": "show", "show": {"title": "Lost"}},
    ],
    ensure_ascii=False,
).encode()  # fmt: skip
TRAKT_WATCHLIST = json.dumps(
    [{"rank": 1, "id": 7, "listed_at": "2023-01-01T00:00:00.000Z", "notes": None, "type": "movie",
      "movie": trakt_movie("Toy Story", 1995, "tt0114709")}]
).encode()  # fmt: skip
TRAKT_WATCHED = json.dumps(
    [{"plays": 3, "last_watched_at": "2018-02-03T21:00:00.000Z", "last_updated_at": "2018-02-03T21:00:00.000Z",  # noqa: E501
      "movie": trakt_movie("Toy Story", 1995, "tt0114709")}]
).encode()  # fmt: skip
