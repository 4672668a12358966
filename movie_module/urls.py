from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("movies", api.MovieViewSet, basename="movie")
router.register("watchlist", api.WatchlistViewSet, basename="watchlist")
router.register("reviews", api.ReviewViewSet, basename="review")

urlpatterns = [
    path("recommendations/", api.RecommendationsView.as_view(), name="recommendations"),
    *router.urls,
]
