"""The IMDb client works without Django: its configuration and cache are handed in."""

import json
import subprocess
import sys

from tests.fake_imdb import SEARCH, FakeImdb
from tests.servers import BASE_DIR

SCRIPT = """
import json, sys
from movie_module.imdb.client import ImdbClient, ImdbConfig
client = ImdbClient(ImdbConfig(api_key="standalone-key", base_url=sys.argv[1], host="imdb8.p.rapidapi.com",
                               rate_per_second=1000.0))
first = client.search("the matrix")
again = client.search("the matrix")  # answered from the client's own memory
details = client.title_details("tt0133093")
print(json.dumps({
    "titles": [result.title for result in first],
    "same": [result.imdb_id for result in again] == [result.imdb_id for result in first],
    "plot": details.plot,
    "django_loaded": any(name == "django" or name.startswith("django.") for name in sys.modules),
}))
"""


def test_the_client_searches_and_caches_without_django():
    with FakeImdb() as server:
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT, server.url],
            cwd=BASE_DIR,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(BASE_DIR)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        searches = server.calls(SEARCH)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["titles"][0] == "The Matrix"
    assert answer["same"] is True
    assert answer["plot"] == "A hacker learns what the Matrix really is."
    assert answer["django_loaded"] is False
    assert searches == 1  # the repeated search came from the client's own memory
