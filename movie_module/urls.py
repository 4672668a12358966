from django.urls import path
from rest_framework.routers import SimpleRouter

from .catalogue.api import MovieViewSet
from .recommendations.api import RecommendationsView
from .tracking.api import ReviewViewSet, WatchlistViewSet

router = SimpleRouter()
router.register("movies", MovieViewSet, basename="movie")
router.register("watchlist", WatchlistViewSet, basename="watchlist")
router.register("reviews", ReviewViewSet, basename="review")

urlpatterns = [
    path("recommendations/", RecommendationsView.as_view(), name="recommendations"),
    *router.urls,
]
