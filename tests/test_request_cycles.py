"""A request leaves no reference cycle behind (scrapbook/internals/request_cycles.py): its
objects die by reference counting, not in a pause of the garbage collector."""

import asyncio
import gc

import pytest
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse, JsonResponse
from django.test import RequestFactory
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from conftest import access_token_for
from movie_module.tests.factories import MovieFactory, WatchlistItemFactory
from scrapbook.internals.django_asgi_handler import SyncChainASGIHandler
from tests.servers import asgi_get
from tests.test_django_asgi_handler import handler_threads_stop

pytestmark = pytest.mark.usefixtures("transactional_db")

ASKED = 20


def garbage_per_request(
    path: str, token: str | None = None, *, status: int = 200, stays: bool = False
) -> float:
    """Objects in reference cycles that each of ASKED requests for `path` leaves behind."""
    application = SyncChainASGIHandler(threads=1)

    async def ask_all():
        for _ in range(ASKED):
            asked, _ = await asgi_get(application, path, token, stays=stays)
            assert asked == status

    try:
        asyncio.run(ask_all())  # warm: caches filled, queries compiled
        gc.collect()
        gc.disable()
        try:
            asyncio.run(ask_all())
            return gc.collect() / ASKED
        finally:
            gc.enable()
    finally:
        handler_threads_stop(application)


@pytest.fixture
def signed_in(user):
    WatchlistItemFactory.create_batch(3, user=user)
    return access_token_for(user)


def plain(request):
    return JsonResponse({"ok": True})


class Answer(APIView):
    authentication_classes, permission_classes = [], []

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("plain/", plain), path("drf/", Answer.as_view()), path("", include("scrapbook.urls"))]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("setting", [True, False], ids=["cycles-broken", "stock"])
def test_a_request_leaves_no_reference_cycle_behind(settings, setting, signed_in):
    settings.BREAK_REQUEST_CYCLES = setting
    imdb_id = MovieFactory().imdb_id
    garbage = {
        "a plain Django view": garbage_per_request("/plain/"),
        "a DRF Response": garbage_per_request("/drf/"),
        "a missing movie, a DRF error": garbage_per_request("/api/movies/tt0000001/", status=404),
        "the watchlist, a cached answer": garbage_per_request("/api/watchlist/", signed_in),
        "a movie page, the caller's part in it": garbage_per_request(f"/api/movies/{imdb_id}/", signed_in),
        "a client that stays connected": garbage_per_request("/drf/", stays=True),
    }
    if setting:
        assert garbage == dict.fromkeys(garbage, 0)
    else:  # what the setting saves: the request, its view, its tasks and all they hold
        assert all(count >= 20 for count in garbage.values()), garbage


# What the cut relies on: the libraries' cycles, as they make them.


def test_django_messages_and_authentication_hold_the_request_they_are_set_on(user):
    request = RequestFactory().get("/")
    SessionMiddleware(lambda request: HttpResponse()).process_request(request)
    AuthenticationMiddleware(lambda request: HttpResponse()).process_request(request)
    MessageMiddleware(lambda request: HttpResponse()).process_request(request)
    assert request._messages.request is request
    assert request.auser.args == (request,)
    assert type(request.user).__name__ == "SimpleLazyObject"


def test_drf_keeps_the_view_request_and_answer_in_each_others_contexts():
    response = Answer.as_view()(RequestFactory().get("/")).render()
    context = response.renderer_context
    view, drf_request = context["view"], context["request"]
    assert context["response"] is response
    assert view.request is drf_request and view.response is response
    assert drf_request.parser_context["view"] is view
    assert drf_request.parser_context["request"] is drf_request
