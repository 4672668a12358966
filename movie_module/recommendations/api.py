"""The recommendations view."""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from api.exceptions import error_responses
from api.shapes import compiled_output, compiled_row_output
from movie_module.catalogue.selectors import movie_with_title, prepare_summaries, summaries_of
from movie_module.catalogue.services import fetch_title
from movie_module.serializers import MovieSummarySerializer

from . import services
from .serializers import (
    RecommendationQuerySerializer,
    RecommendationsSerializer,
    RecommendedMovieSerializer,
    SeedReviewSerializer,
)


def recommended_movies(recommended) -> list[dict]:
    """Each recommended `(title, score)` with the movie it names, as RecommendedMovieSerializer
    shows it: the catalogue's movie the recommender named by id (a summary row, one compiled
    query for all), else one of that title, else one fetched from the IMDb API (when
    configured) and stored; `movie` null when none knows it."""
    summaries = {
        row["id"]: row for row in summaries_of([pair.movie_id for pair in recommended if pair.movie_id])
    }
    summary_row_shown, summary_shown = (
        compiled_row_output(MovieSummarySerializer),
        compiled_output(MovieSummarySerializer),
    )
    shown = compiled_row_output(RecommendedMovieSerializer, "", (("movie", "movie"),))
    results = []
    for pair in recommended:
        row = summaries.get(pair.movie_id)
        if row is not None:
            movie = summary_row_shown(row)
        else:
            found = movie_with_title(pair.title, pair.year) or fetch_title(pair.title, pair.year)
            movie = None if found is None else summary_shown(prepare_summaries([found])[0])
        results.append(shown({"title": pair.title, "score": pair.score, "movie": movie}))
    return results


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
            "results": recommended_movies(answer.results),
        }
        return Response(recommendations)
