"""The recommendations view."""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from api.exceptions import error_responses
from api.shapes import compiled_row_output
from movie_module.catalogue.selectors import prepare_summaries
from movie_module.catalogue.services import fetch_title

from . import selectors, services
from .serializers import (
    RecommendationQuerySerializer,
    RecommendationsSerializer,
    RecommendedMovieSerializer,
    SeedReviewSerializer,
)


def recommended_movies(recommended) -> list[selectors.RecommendedMovie]:
    """Each recommended `(title, score)` with the movie it names: from the catalogue, else
    fetched from the IMDb API (when configured) and stored; None when neither knows it."""
    movies = selectors.movies_for_recommendations(recommended)
    movies = [
        movie or fetch_title(pair.title, pair.year) for pair, movie in zip(recommended, movies, strict=True)
    ]
    prepare_summaries(movie for movie in movies if movie is not None)
    return [
        selectors.RecommendedMovie(pair.title, pair.score, movie)
        for pair, movie in zip(recommended, movies, strict=True)
    ]


class RecommendationsView(APIView):
    """What the caller may like next, from the similarity model over their reviews."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        description=(
            "The caller's reviews rated above 3.5 stars (the seeds, `based_on`) turned into a "
            "best-first list of `(title, score)`, each with its movie. `score` is on 0 to 10 for "
            "both sources and reads as 10 times the chance that the caller will rate the movie "
            "above 3.5 stars: it is calibrated when the model is fitted, on each user's latest "
            "ratings held out from a first fit (isotonic regression), so 9.4 means that 94% of "
            "such recommendations were liked. Popular movies (`source: popular`, for a caller "
            "without seeds) are calibrated the same way."
        ),
        parameters=[RecommendationQuerySerializer],
        responses={200: RecommendationsSerializer, **error_responses(400, 401)},
    )
    def get(self, request):
        query = RecommendationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        answer = services.recommend_for_user(user=request.user, limit=query.validated_data["limit"])
        seed_shown = compiled_row_output(SeedReviewSerializer)
        recommendations = {
            "source": answer.source,
            "based_on": [seed_shown(seed) for seed in answer.based_on],
            "results": RecommendedMovieSerializer(recommended_movies(answer.results), many=True).data,
        }
        return Response(recommendations)
