"""Scrapbook's URLs plus a bare Django JSON view: the ceiling the benchmarks compare with."""

from django.http import JsonResponse
from django.urls import path

from scrapbook.urls import urlpatterns as scrapbook_urlpatterns


def ceiling(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [path("bench/ceiling/", ceiling), *scrapbook_urlpatterns]
