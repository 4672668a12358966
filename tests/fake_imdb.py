"""A local HTTP server that speaks the IMDb API on RapidAPI as ../shared/IMDB.md describes it.

It answers from a small in-memory catalogue, records every request (path, query, headers,
time) and can be programmed per path with the faults the real API shows: slow answers,
500, 502 with an HTML body, 429 with or without Retry-After, 200 with a body that is not
JSON or lacks the expected keys, 401.

    with FakeImdb() as imdb:
        imdb.program("/auto-complete", SERVER_ERROR, SERVER_ERROR)   # the next two searches fail
        imdb.always("/title/get-overview-details", slow(1.0))       # every overview is slow
        ... imdb.url ... imdb.calls("/auto-complete") ...
"""

import json
import threading
import time
import unicodedata
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SEARCH = "/auto-complete"
OVERVIEW = "/title/get-overview-details"
CREDITS = "/title/get-full-credits"
ANY_PATH = "*"


@dataclass(frozen=True)
class FakeTitle:
    imdb_id: str
    title: str
    year: int | None
    kind: str = "movie"  # qid / titleType
    kind_label: str = "feature"  # q
    rank: int = 1000
    runtime_minutes: int | None = None
    rating: float | None = None
    votes: int | None = None
    genres: tuple[str, ...] = ()
    plot: str | None = None
    directors: tuple[str, ...] = ()
    cast: tuple[str, ...] = ()

    @property
    def poster_url(self) -> str:
        return f"https://m.media-amazon.com/images/M/{self.imdb_id}.jpg"


@dataclass(frozen=True)
class FakePerson:
    person_id: str
    name: str
    known_for: str
    rank: int = 100


@dataclass(frozen=True)
class Fault:
    """What the server does for one request: wait `delay` seconds, then send this status and
    body, or the normal answer when `body` is None and `status` is 200."""

    status: int = 200
    body: str | None = None
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)
    delay: float = 0.0


def slow(seconds: float) -> Fault:
    """The normal answer, `seconds` late."""
    return Fault(delay=seconds)


def too_many_requests(retry_after: str | None = None) -> Fault:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return Fault(
        429,
        json.dumps({"message": "You have exceeded the rate limit per second for your plan"}),
        headers=headers,
    )


def answer(payload) -> Fault:
    """A 200 with this JSON instead of the normal answer (e.g. one missing fields)."""
    return Fault(200, json.dumps(payload))


SERVER_ERROR = Fault(500, json.dumps({"message": "Internal server error"}))
BAD_GATEWAY_HTML = Fault(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
NOT_JSON = Fault(200, "<html><body>Service temporarily overloaded</body></html>", "text/html")
TRUNCATED_JSON = Fault(200, '{"d": [{"id": "tt0133093", "l": "The Ma')
UNAUTHORIZED = Fault(
    401, json.dumps({"message": "Invalid API key. Go to https://docs.rapidapi.com/docs/keys for more info."})
)
NOT_SUBSCRIBED = Fault(403, json.dumps({"message": "You are not subscribed to this API."}))
NOT_FOUND = Fault(404, json.dumps({"message": "Not found"}))

CATALOGUE = (
    FakeTitle(
        "tt0133093",
        "The Matrix",
        1999,
        rank=34,
        runtime_minutes=136,
        rating=8.7,
        votes=2100000,
        genres=("Action", "Sci-Fi"),
        plot="A hacker learns what the Matrix really is.",
        directors=("Lana Wachowski", "Lilly Wachowski"),
        cast=("Keanu Reeves", "Laurence Fishburne", "Carrie-Anne Moss", "Hugo Weaving"),
    ),
    FakeTitle(
        "tt0234215",
        "The Matrix Reloaded",
        2003,
        rank=410,
        runtime_minutes=138,
        rating=7.2,
        votes=640000,
        genres=("Action", "Sci-Fi"),
        directors=("Lana Wachowski", "Lilly Wachowski"),
        cast=("Keanu Reeves",),
    ),
    FakeTitle(
        "tt0242653",
        "The Matrix Revolutions",
        2003,
        rank=620,
        rating=6.7,
        votes=540000,
        genres=("Action", "Sci-Fi"),
        cast=("Keanu Reeves",),
    ),
    FakeTitle(
        "tt0114709",
        "Toy Story",
        1995,
        rank=150,
        runtime_minutes=81,
        rating=8.3,
        votes=1100000,
        genres=("Animation", "Adventure", "Comedy"),
        plot="A cowboy doll feels threatened.",
        directors=("John Lasseter",),
        cast=("Tom Hanks", "Tim Allen"),
    ),
    FakeTitle(
        "tt0435761",
        "Toy Story 3",
        2010,
        rank=300,
        runtime_minutes=103,
        rating=8.3,
        votes=900000,
        directors=("Lee Unkrich",),
        cast=("Tom Hanks", "Tim Allen"),
    ),
    FakeTitle(
        "tt0087182",
        "Dune",
        1984,
        rank=900,
        runtime_minutes=137,
        rating=6.3,
        votes=180000,
        directors=("David Lynch",),
        cast=("Kyle MacLachlan",),
    ),
    FakeTitle(
        "tt1160419",
        "Dune",
        2021,
        rank=40,
        runtime_minutes=155,
        rating=8.0,
        votes=800000,
        directors=("Denis Villeneuve",),
        cast=("Timothée Chalamet", "Rebecca Ferguson"),
    ),
    FakeTitle("tt0142032", "Dune", 2000, kind="tvMiniSeries", kind_label="TV mini-series", rank=3000),
    FakeTitle("tt2802850", "Fargo", 2014, kind="tvSeries", kind_label="TV series", rank=80),
    FakeTitle(
        "tt0116282",
        "Fargo",
        1996,
        rank=200,
        runtime_minutes=98,
        rating=8.1,
        votes=700000,
        directors=("Joel Coen", "Ethan Coen"),
        cast=("Frances McDormand",),
    ),
    FakeTitle(
        "tt0211915",
        "Amélie",
        2001,
        rank=500,
        runtime_minutes=122,
        rating=8.3,
        votes=780000,
        directors=("Jean-Pierre Jeunet",),
        cast=("Audrey Tautou",),
    ),
)
PEOPLE = (FakePerson("nm0000206", "Keanu Reeves", "Actor, The Matrix (1999)"),)


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    at: float  # time.monotonic()


def _folded(text: str) -> str:
    """Lower case without accents: the real search finds 'Amélie' for 'amelie'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(character for character in decomposed if not unicodedata.combining(character))


class FakeImdb:
    """The fake API on 127.0.0.1 and a free port, serving from its own thread."""

    def __init__(self, titles=CATALOGUE, people=PEOPLE):
        self.titles = {title.imdb_id: title for title in titles}
        self.people = list(people)
        self.requests: list[RecordedRequest] = []
        self._queued: dict[str, deque[Fault]] = defaultdict(deque)
        self._always: dict[str, Fault] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, address: None  # clients that gave up
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, name="fake-imdb", daemon=True
        )
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()  # wakes the handlers that are sleeping
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # Programming

    def program(self, path: str, *faults: Fault) -> None:
        """The next requests to `path` (or `*`, any path) meet these faults, one each, in order."""
        with self._lock:
            self._queued[path].extend(faults)

    def always(self, path: str, fault: Fault) -> None:
        """Every request to `path` (or `*`) meets this fault until `heal()`."""
        with self._lock:
            self._always[path] = fault

    def heal(self) -> None:
        """Back to normal answers."""
        with self._lock:
            self._queued.clear()
            self._always.clear()

    # Inspection

    def calls(self, path: str | None = None) -> int:
        with self._lock:
            return sum(1 for request in self.requests if path is None or request.path == path)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [request for request in self.requests if request.path == path]

    # Serving

    def _fault_for(self, path: str) -> Fault | None:
        with self._lock:
            for key in (path, ANY_PATH):
                if self._queued[key]:
                    return self._queued[key].popleft()
            return self._always.get(path) or self._always.get(ANY_PATH)

    def _record(self, path: str, query: dict, headers: dict) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(path, query, headers, time.monotonic()))

    def _normal_answer(self, path: str, query: dict) -> tuple[int, dict]:
        if path == SEARCH:
            return 200, self._search(query.get("q", ""))
        title = self.titles.get(query.get("tconst", ""))
        if path == OVERVIEW:
            return 200, self._overview(title) if title else {}
        if path == CREDITS:
            return 200, self._credits(title) if title else {}
        return 404, {"message": f"Endpoint '{path}' does not exist"}

    def _search(self, text: str) -> dict:
        words = _folded(text).split()
        if not words:
            return {"q": text, "v": 1}
        entries = []
        for title in self.titles.values():
            if all(word in _folded(title.title) for word in words):
                entries.append(
                    (
                        title.rank,
                        {
                            "id": title.imdb_id,
                            "l": title.title,
                            "q": title.kind_label,
                            "qid": title.kind,
                            "y": title.year,
                            "s": ", ".join(title.cast[:2]),
                            "rank": title.rank,
                            "i": {"imageUrl": title.poster_url, "width": 1000, "height": 1481},
                        },
                    )
                )
        for person in self.people:
            if all(word in person.name.lower() for word in words):
                entries.append(
                    (
                        person.rank,
                        {
                            "id": person.person_id,
                            "l": person.name,
                            "s": person.known_for,
                            "rank": person.rank,
                        },
                    )
                )
        return {"d": [entry for _, entry in sorted(entries, key=lambda pair: pair[0])], "q": text, "v": 1}

    @staticmethod
    def _overview(title: FakeTitle) -> dict:
        wrapped = f"/title/{title.imdb_id}/"
        return {
            "id": wrapped,
            "title": {
                "id": wrapped,
                "title": title.title,
                "titleType": title.kind,
                "year": title.year,
                "runningTimeInMinutes": title.runtime_minutes,
                "image": {"url": title.poster_url, "width": 1000, "height": 1481},
            },
            "ratings": {"rating": title.rating, "ratingCount": title.votes, "topRank": 16},
            "genres": list(title.genres),
            "releaseDate": f"{title.year}-03-31" if title.year else None,
            "plotOutline": {"text": title.plot} if title.plot else None,
        }

    @staticmethod
    def _credits(title: FakeTitle) -> dict:
        return {
            "id": f"/title/{title.imdb_id}/",
            "base": {"title": title.title, "year": title.year},
            "cast": [
                {"id": f"/name/nm{index:07d}/", "name": name, "characters": ["Someone"]}
                for index, name in enumerate(title.cast)
            ],
            "crew": {
                "director": [
                    {"id": f"/name/nm{index + 100:07d}/", "name": name}
                    for index, name in enumerate(title.directors)
                ]
            },
        }

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, so the client's connection pool is used

            def do_GET(self):
                parts = urlsplit(self.path)
                query = {name: values[0] for name, values in parse_qs(parts.query).items()}
                fake._record(parts.path, query, {name.lower(): value for name, value in self.headers.items()})
                fault = fake._fault_for(parts.path) or Fault()
                if fault.delay and fake._stopping.wait(fault.delay):
                    return
                if fault.body is None and fault.status == 200:
                    status, payload = fake._normal_answer(parts.path, query)
                    self._send(status, json.dumps(payload), "application/json", {})
                else:
                    self._send(fault.status, fault.body or "", fault.content_type, fault.headers)

            def _send(self, status: int, body: str, content_type: str, headers: dict) -> None:
                data = body.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timed out) before the answer

            def log_message(self, format, *args):
                pass

        return Handler
