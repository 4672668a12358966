from django.urls import path
from rest_framework.routers import SimpleRouter

from .catalogue.api import GenreListView, MovieViewSet
from .recommendations.api import RecommendationsView
from .tracking.api import ReviewViewSet, WatchlistViewSet

router = SimpleRouter()
router.register("movies", MovieViewSet, basename="movie")
router.register("watchlist", WatchlistViewSet, basename="watchlist")
router.register("reviews", ReviewViewSet, basename="review")

urlpatterns = [
    path("recommendations/", RecommendationsView.as_view(), name="recommendations"),
    path("genres/", GenreListView.as_view(), name="genres"),
    *router.urls,
]
