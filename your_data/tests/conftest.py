import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from movie_module.tests.factories import MovieFactory
from scrapbook import background
from tests.test_celery_worker import broker, start_worker  # noqa: F401 (the worker's fixtures)


@pytest.fixture
def catalogue(transactional_db):
    """The films the test files name, but one (A Film Nobody Has)."""
    return {
        "matrix": MovieFactory(imdb_id="tt0133093", title="The Matrix", year=1999),
        "tiger": MovieFactory(imdb_id="tt0190332", title="Crouching Tiger, Hidden Dragon", year=2000),
        "amelie": MovieFactory(imdb_id="tt0211915", title="Amélie", year=2001),
        "toy": MovieFactory(imdb_id="tt0114709", title="Toy Story", year=1995),
    }


def upload(client, data: bytes, *, format_name: str, name: str):
    """POST a file to /api/imports/, as a browser's form would."""
    return client.post(
        "/api/imports/",
        {"file": SimpleUploadedFile(name, data), "format": format_name},
        format="multipart",
    )


def imported(client, data: bytes, *, format_name: str, name: str) -> dict:
    """Upload, let the background import finish, and return the Import as the API shows it."""
    response = upload(client, data, format_name=format_name, name=name)
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    assert background.wait_for_tasks(timeout=30)
    return client.get(f"/api/imports/{response.json()['id']}/").json()
