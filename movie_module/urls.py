from django.urls import path
from rest_framework.routers import SimpleRouter

from .catalogue.api import GenreListView, MovieViewSet
from .diary.api import DiaryViewSet
from .lists.api import MovieListViewSet
from .people.api import FeedView, UserViewSet
from .recommendations.api import RecommendationsView
from .tracking.api import ReviewViewSet, WatchlistViewSet

router = SimpleRouter()
router.register("movies", MovieViewSet, basename="movie")
router.register("watchlist", WatchlistViewSet, basename="watchlist")
router.register("reviews", ReviewViewSet, basename="review")
router.register("diary", DiaryViewSet, basename="diary")
router.register("lists", MovieListViewSet, basename="list")
router.register("users", UserViewSet, basename="user")

urlpatterns = [
    path("recommendations/", RecommendationsView.as_view(), name="recommendations"),
    path("genres/", GenreListView.as_view(), name="genres"),
    path("feed/", FeedView.as_view(), name="feed"),
    *router.urls,
]
