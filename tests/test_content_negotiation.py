"""DRF's content negotiation with its choices remembered (api/negotiation.py): the same
renderer and media type as DRF's own, for every request, first or remembered."""

import pytest
from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiYamlRenderer
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api.negotiation import RememberedContentNegotiation

RENDERER_LISTS = [
    [JSONRenderer],
    [OpenApiYamlRenderer, OpenApiJsonRenderer],
    [JSONRenderer, BrowsableAPIRenderer],
]
ACCEPTS = [
    None,
    "*/*",
    "application/json",
    "application/json; indent=4",
    "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
    "application/vnd.oai.openapi+json",
    "application/vnd.oai.openapi, application/json;q=0.5",
]


def choice(negotiation, accept, renderer_classes, query=""):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get("/api/movies/" + query, **headers))
    renderers = [renderer_class() for renderer_class in renderer_classes]
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers)
    except NotAcceptable:
        return "406"
    return type(renderer), media_type


@pytest.fixture
def remembered():
    RememberedContentNegotiation._chosen.clear()
    yield RememberedContentNegotiation()
    RememberedContentNegotiation._chosen.clear()


def outcome(negotiation, accept, renderer_classes, query):
    """The choice, or the refusal's class (an unknown format is DRF's 404)."""
    try:
        return choice(negotiation, accept, renderer_classes, query)
    except Exception as error:
        return type(error)


def test_the_choice_is_drfs_own_the_first_time_and_when_remembered(remembered):
    stock = DefaultContentNegotiation()
    asked = [
        (accept, renderer_classes, query)
        for accept in ACCEPTS
        for renderer_classes in RENDERER_LISTS  # views of several kinds, asked in turn
        for query in ["", "?format=json", "?format=openapi-json"]
    ]
    expected = [outcome(stock, *request) for request in asked]
    assert len(set(map(str, expected))) > 4  # the requests do not all get one answer
    for _ in range(2):  # first made, then remembered
        assert [outcome(remembered, *request) for request in asked] == expected


def test_a_refusal_is_never_remembered_as_a_choice(remembered):
    assert choice(remembered, "text/csv", [JSONRenderer]) == "406"
    assert choice(remembered, "text/csv", [JSONRenderer]) == "406"
    assert remembered._chosen == {}


def test_odd_accept_headers_cannot_grow_what_is_remembered(remembered):
    for number in range(3 * RememberedContentNegotiation.kept):
        choice(remembered, f"application/json; n={number}", [JSONRenderer])
    assert len(remembered._chosen) <= RememberedContentNegotiation.kept


@pytest.mark.django_db
def test_the_api_answers_json_and_refuses_what_it_cannot_give_each_time(client):
    for _ in range(2):
        assert (
            client.get("/api/movies/", HTTP_ACCEPT="application/json")["Content-Type"] == "application/json"
        )
        refused = client.get("/api/movies/", HTTP_ACCEPT="text/csv")
        assert refused.status_code == 406
        assert refused.json() == {"detail": "Could not satisfy the request Accept header."}
