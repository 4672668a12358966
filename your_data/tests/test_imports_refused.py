"""Uploads that are not what they say, too large or hostile: a 400 on `file` (or a 413)
with a reason a person understands, and nothing stored. And only the owner sees an import."""

import io
import zipfile

import pytest

from scrapbook import background
from your_data.models import Import

from . import files
from .conftest import imported, upload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("format_name", "name", "data", "reason"),
    [
        ("letterboxd", "ratings.csv", b"", "The submitted file is empty."),
        ("letterboxd", "ratings.json", files.TRAKT_RATINGS,
         "ratings.json is not a Letterboxd export: it has no Name and Year columns."),
        ("imdb", "ratings.csv", files.LETTERBOXD_RATINGS, "ratings.csv is not an IMDb export: it has no Const column."),  # noqa: E501
        ("trakt", "ratings.csv", files.IMDB_RATINGS,
         "ratings.csv is not a Trakt export: it is not valid JSON."),
        ("letterboxd", "x.zip", b"PK\x03\x04 not really a zip", "This ZIP file is damaged and cannot be opened."),  # noqa: E501
        ("trakt", "x.zip", files.zipped({"ratings.csv": files.LETTERBOXD_RATINGS}),
         "This ZIP holds none of Trakt's ratings-movies.json, watched-movies.json or watchlist-movies.json."),
        ("letterboxd", "ratings.csv", "Date,Name,Year,Rating\n2020-01-01,Amélie,2001,5\n".encode("latin-1"),
         "ratings.csv is not UTF-8 text, as the export would be."),
    ],
)  # fmt: skip
def test_a_file_that_is_not_of_its_format_is_a_400_on_file(auth_client, format_name, name, data, reason):
    response = upload(auth_client, data, format_name=format_name, name=name)
    assert response.status_code == 400
    assert response.json() == {"file": [reason]}
    assert not Import.objects.exists()


def test_missing_file_and_unknown_format_are_named(auth_client):
    response = auth_client.post("/api/imports/", {"format": "netflix"}, format="multipart")
    assert response.status_code == 400
    assert set(response.json()) == {"file", "format"}


def test_a_zip_bomb_is_refused_before_it_is_unpacked(auth_client):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "ratings.csv", b"Date,Name,Year,Letterboxd URI,Rating\n" + b"\n" * (50 * 1024 * 1024)
        )
    assert len(buffer.getvalue()) < 200 * 1024
    response = upload(auth_client, buffer.getvalue(), format_name="letterboxd", name="bomb.zip")
    assert response.status_code == 400
    assert response.json() == {"file": ["ratings.csv in this ZIP unpacks to too much to be an export."]}


def test_a_zip_whose_headers_lie_about_sizes_stops_at_the_declared_size(auth_client):
    honest = files.zipped({"ratings.csv": files.LETTERBOXD_RATINGS})
    # Shrink the central directory's uncompressed size: the member now unpacks to more than it says.
    lying = bytearray(honest)
    directory = lying.rindex(b"PK\x01\x02")
    lying[directory + 24 : directory + 28] = (10).to_bytes(4, "little")
    response = upload(auth_client, bytes(lying), format_name="letterboxd", name="x.zip")
    assert response.status_code == 400
    assert "ratings.csv" in response.json()["file"][0]


def test_a_file_over_the_upload_limit_is_a_413(auth_client, settings):
    settings.IMPORT_UPLOAD_MAX_BYTES = 1000
    response = upload(
        auth_client, files.LETTERBOXD_RATINGS * 10, format_name="letterboxd", name="ratings.csv"
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "The file is larger than an import accepts (0 MB)."}
    assert not Import.objects.exists()


def test_rows_past_the_cap_are_not_read_and_the_import_says_so(auth_client, settings, catalogue):
    settings.IMPORT_MAX_ROWS = 2
    result = imported(auth_client, files.LETTERBOXD_RATINGS, format_name="letterboxd", name="ratings.csv")
    assert result["truncated"] is True
    assert result["counts"]["rows"] == 2


def test_a_file_broken_past_its_first_rows_fails_the_import_and_writes_nothing(auth_client, user, catalogue):
    good = [f"2021-01-01,Movie {number},2000,https://boxd.it/{number},4" for number in range(30)]
    broken = files.crlf_csv("Date,Name,Year,Letterboxd URI,Rating", *good, '2021-01-01,"The Matrix,1999,x,4')
    response = upload(auth_client, broken, format_name="letterboxd", name="ratings.csv")
    assert response.status_code == 202
    assert background.wait_for_tasks(timeout=30)
    result = auth_client.get(f"/api/imports/{response.json()['id']}/").json()
    assert result["status"] == "failed"
    assert result["error"].startswith("ratings.csv is not a readable CSV file")
    assert not user.reviews.exists()


def test_only_the_owner_sees_an_import(auth_client, other_client, catalogue):
    mine = imported(auth_client, files.LETTERBOXD_RATINGS, format_name="letterboxd", name="ratings.csv")
    assert other_client.get(f"/api/imports/{mine['id']}/").status_code == 404
    assert other_client.get("/api/imports/").json()["count"] == 0
    assert [entry["id"] for entry in auth_client.get("/api/imports/").json()["results"]] == [mine["id"]]
