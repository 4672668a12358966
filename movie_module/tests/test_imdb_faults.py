"""The IMDb client when the API misbehaves: slow, down, failing, rate-limiting, talking nonsense,
refusing the key. Everything is driven through the fake server and settings."""

import logging
import time

import pytest

from conftest import TEST_RAPIDAPI_KEY
from movie_module.catalogue import services as imdb_sync
from movie_module.imdb.errors import (
    ImdbAuthenticationFailed,
    ImdbCircuitOpen,
    ImdbRateLimited,
    ImdbUnavailable,
)
from tests.fake_imdb import (
    BAD_GATEWAY_HTML,
    CREDITS,
    NOT_FOUND,
    NOT_JSON,
    NOT_SUBSCRIBED,
    OVERVIEW,
    SEARCH,
    SERVER_ERROR,
    TRUNCATED_JSON,
    UNAUTHORIZED,
    answer,
    slow,
    too_many_requests,
)
from tests.servers import free_port


def elapsed_seconds(function, *args, **kwargs) -> tuple[float, object]:
    start = time.monotonic()
    try:
        result = function(*args, **kwargs)
    except Exception as exc:
        result = exc
    return time.monotonic() - start, result


def test_a_slow_answer_times_out_after_the_retries(settings, fake_imdb):
    settings.IMDB_READ_TIMEOUT = 0.1
    fake_imdb.always(SEARCH, slow(2))
    seconds, error = elapsed_seconds(imdb_sync.get_client().search, "matrix")
    assert isinstance(error, ImdbUnavailable)
    assert "timed out" in str(error)
    assert fake_imdb.calls(SEARCH) == 3  # the first try and two retries
    assert seconds < 1


def test_a_slow_answer_is_retried_and_the_next_one_used(settings, fake_imdb):
    settings.IMDB_READ_TIMEOUT = 0.1
    fake_imdb.program(SEARCH, slow(2))
    assert [result.imdb_id for result in imdb_sync.get_client().search("toy story")] == [
        "tt0114709",
        "tt0435761",
    ]
    assert fake_imdb.calls(SEARCH) == 2


def test_the_whole_call_never_outlasts_its_time_budget(settings, fake_imdb):
    settings.IMDB_READ_TIMEOUT = 0.3
    settings.IMDB_MAX_RETRIES = 10
    settings.IMDB_CALL_BUDGET_SECONDS = 0.5
    fake_imdb.always(SEARCH, slow(2))
    seconds, error = elapsed_seconds(imdb_sync.get_client().search, "matrix")
    assert isinstance(error, ImdbUnavailable)
    assert seconds < 0.8
    assert fake_imdb.calls(SEARCH) == 2  # 0.3 s, then the 0.2 s left


def test_connection_refused_is_retried_then_reported(imdb_refusing_connections):
    seconds, error = elapsed_seconds(imdb_sync.get_client().title_details, "tt0133093")
    assert isinstance(error, ImdbUnavailable)
    assert "connection failed" in str(error)
    assert seconds < 1


@pytest.mark.parametrize("fault", [SERVER_ERROR, BAD_GATEWAY_HTML], ids=["500", "502 html"])
def test_a_server_error_is_retried_and_the_next_answer_used(fake_imdb, fault):
    fake_imdb.program(OVERVIEW, fault, fault)
    details = imdb_sync.get_client().title_details("tt0133093")
    assert details.title == "The Matrix"
    assert fake_imdb.calls(OVERVIEW) == 3


def test_server_errors_past_the_retries_make_the_api_unavailable(fake_imdb):
    fake_imdb.always(SEARCH, SERVER_ERROR)
    with pytest.raises(ImdbUnavailable, match="HTTP 500"):
        imdb_sync.get_client().search("matrix")
    assert fake_imdb.calls(SEARCH) == 3


def test_rate_limited_without_retry_after_backs_off_and_retries(fake_imdb):
    fake_imdb.program(SEARCH, too_many_requests(), too_many_requests())
    assert imdb_sync.get_client().search("matrix")
    assert fake_imdb.calls(SEARCH) == 3


def test_rate_limited_with_retry_after_waits_that_long(settings, fake_imdb):
    settings.IMDB_CALL_BUDGET_SECONDS = 3
    fake_imdb.program(SEARCH, too_many_requests(retry_after="1"))
    assert imdb_sync.get_client().search("matrix")
    first, second = fake_imdb.requests_to(SEARCH)
    assert 1 <= second.at - first.at < 1.5


def test_a_retry_after_beyond_the_budget_gives_up_at_once(settings, fake_imdb):
    settings.IMDB_CALL_BUDGET_SECONDS = 1
    fake_imdb.program(SEARCH, too_many_requests(retry_after="30"))
    seconds, error = elapsed_seconds(imdb_sync.get_client().search, "matrix")
    assert isinstance(error, ImdbRateLimited)
    assert seconds < 0.5
    assert fake_imdb.calls(SEARCH) == 1


def test_rate_limited_past_the_retries_is_reported_as_rate_limited(fake_imdb):
    fake_imdb.always(SEARCH, too_many_requests())
    with pytest.raises(ImdbRateLimited):
        imdb_sync.get_client().search("matrix")
    assert fake_imdb.calls(SEARCH) == 3


@pytest.mark.parametrize("fault", [NOT_JSON, TRUNCATED_JSON], ids=["html", "truncated json"])
def test_a_body_that_is_not_json_counts_as_no_data_and_is_not_cached(fake_imdb, fault):
    fake_imdb.program(SEARCH, fault)
    fake_imdb.program(OVERVIEW, fault)
    client = imdb_sync.get_client()
    assert client.search("matrix") == []
    assert client.title_details("tt0133093") is None
    # Not cached: the next call asks again and gets the real answer.
    assert client.search("matrix")[0].imdb_id == "tt0133093"
    assert client.title_details("tt0133093").title == "The Matrix"
    assert client.breaker.state == "closed"


def test_answers_missing_fields_become_none_not_errors(fake_imdb):
    fake_imdb.program(
        SEARCH,
        answer(
            {
                "d": [
                    {"id": "tt0133093", "l": "The Matrix", "y": "nineteen", "i": None, "rank": True},
                    {"id": "tt0234215"},  # no title: skipped
                    {"l": "No id"},
                    "not an object",
                ]
            }
        ),
    )
    fake_imdb.program(
        OVERVIEW,
        answer(
            {
                "id": "/title/tt0133093/",
                "title": {"id": "/title/tt0133093/", "title": "The Matrix", "year": None, "image": "odd"},
                "ratings": {"rating": "not a number", "ratingCount": -5},
                "genres": "Action",
                "plotOutline": None,
            }
        ),
    )
    fake_imdb.program(CREDITS, answer({"cast": None, "crew": {"writer": []}}))
    client = imdb_sync.get_client()
    [result] = client.search("matrix")
    assert (result.imdb_id, result.title, result.year, result.poster_url, result.rank) == (
        "tt0133093",
        "The Matrix",
        None,
        None,
        None,
    )
    details = client.title_details("tt0133093")
    assert details.title == "The Matrix"
    assert (details.year, details.poster_url, details.rating, details.votes, details.plot) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert (details.genres, details.directors, details.cast) == ((), (), ())


def test_search_without_a_d_key_finds_nothing(fake_imdb):
    fake_imdb.program(SEARCH, answer({"q": "matrix", "v": 1}))
    assert imdb_sync.get_client().search("matrix") == []


def test_details_answering_404_mean_not_found(fake_imdb):
    fake_imdb.program(OVERVIEW, NOT_FOUND)
    assert imdb_sync.get_client().title_details("tt0133093") is None
    assert fake_imdb.calls(OVERVIEW) == 1


@pytest.mark.parametrize("fault", [UNAUTHORIZED, NOT_SUBSCRIBED], ids=["401", "403"])
def test_a_refused_key_is_not_retried_and_logged_once(fake_imdb, caplog, fault):
    fake_imdb.always("*", fault)
    client = imdb_sync.get_client()
    with caplog.at_level(logging.INFO, logger="movie_module.imdb"):
        with pytest.raises(ImdbAuthenticationFailed):
            client.search("matrix")
        with pytest.raises(ImdbAuthenticationFailed):
            client.title_details("tt0133093")
    assert fake_imdb.calls() == 2
    refusals = [record for record in caplog.records if "refused the key" in record.getMessage()]
    assert [record.levelno for record in refusals if record.levelno >= logging.ERROR] == [logging.ERROR]


def failing_searches_until_the_circuit_opens(fake_imdb):
    """The client, after the API failed as many searches in a row as the threshold (3)."""
    fake_imdb.always(SEARCH, SERVER_ERROR)
    client = imdb_sync.get_client()
    for text in ["a", "b", "c"]:
        with pytest.raises(ImdbUnavailable):
            client.search(text)
    return client


def test_the_circuit_opens_after_consecutive_failures_and_stops_calling(fake_imdb):
    client = failing_searches_until_the_circuit_opens(fake_imdb)
    calls = fake_imdb.calls()
    assert client.breaker.state == "open"
    with pytest.raises(ImdbCircuitOpen):
        client.search("matrix")
    with pytest.raises(ImdbCircuitOpen):
        client.title_details("tt0133093")
    assert fake_imdb.calls() == calls


def test_a_success_after_the_cool_down_closes_the_circuit(settings, fake_imdb):
    settings.IMDB_BREAKER_COOLDOWN_SECONDS = 0.2
    client = failing_searches_until_the_circuit_opens(fake_imdb)
    with pytest.raises(ImdbCircuitOpen):
        client.search("matrix")
    fake_imdb.heal()
    wait_for_state(client.breaker, "half_open", seconds=2)
    assert client.search("matrix")[0].imdb_id == "tt0133093"
    assert client.breaker.state == "closed"


def test_a_failure_after_the_cool_down_opens_the_circuit_again(settings, fake_imdb):
    settings.IMDB_BREAKER_COOLDOWN_SECONDS = 0.2
    client = failing_searches_until_the_circuit_opens(fake_imdb)
    wait_for_state(client.breaker, "half_open", seconds=2)
    calls = fake_imdb.calls()
    with pytest.raises(ImdbUnavailable):
        client.search("trial")  # one trial call goes through, and fails
    assert fake_imdb.calls() == calls + 3
    assert client.breaker.state == "open"


def test_a_success_resets_the_count_of_failures(fake_imdb):
    client = imdb_sync.get_client()
    fake_imdb.always(SEARCH, SERVER_ERROR)
    for text in ["a", "b"]:
        with pytest.raises(ImdbUnavailable):
            client.search(text)
    fake_imdb.heal()
    client.search("matrix")
    fake_imdb.always(SEARCH, SERVER_ERROR)
    for text in ["c", "d"]:
        with pytest.raises(ImdbUnavailable):
            client.search(text)
    assert client.breaker.state == "closed"


def test_the_key_never_appears_in_logs_or_errors(settings, fake_imdb, caplog):
    settings.IMDB_READ_TIMEOUT = 0.1
    client = imdb_sync.get_client()
    errors = []
    with caplog.at_level(logging.DEBUG):
        faults = [UNAUTHORIZED, SERVER_ERROR, BAD_GATEWAY_HTML, too_many_requests("0"), slow(1), NOT_JSON]
        for fault in faults:
            fake_imdb.always("*", fault)
            for call in (lambda: client.search("matrix"), lambda: client.title_details("tt0133093")):
                try:
                    call()
                except ImdbUnavailable as exc:
                    errors.append(exc)
            client.breaker.record_success()  # keep calling: every fault must reach the client
            imdb_sync.store_search_results("anything")
    settings.IMDB_API_URL = f"http://127.0.0.1:{free_port()}"  # connection refused
    with caplog.at_level(logging.DEBUG):
        try:
            imdb_sync.get_client().search("refused")
        except ImdbUnavailable as exc:
            errors.append(exc)
    assert len(errors) >= 10
    assert caplog.records
    assert TEST_RAPIDAPI_KEY not in caplog.text
    for error in errors:
        for link in chain_of(error):
            assert TEST_RAPIDAPI_KEY not in str(link)
            assert TEST_RAPIDAPI_KEY not in repr(link)


def chain_of(error: BaseException):
    while error is not None:
        yield error
        error = error.__cause__ or error.__context__


def wait_for_state(breaker, state: str, *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while breaker.state != state:
        assert time.monotonic() < deadline, f"the breaker stayed {breaker.state}"
        time.sleep(0.01)
