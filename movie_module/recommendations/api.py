"""The recommendations view."""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from api.exceptions import error_responses

from . import selectors, services
from .serializers import RecommendationQuerySerializer, RecommendationsSerializer


class RecommendationsView(APIView):
    """What the caller may like next, from the similarity model over their reviews."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[RecommendationQuerySerializer],
        responses={200: RecommendationsSerializer, **error_responses(400, 401)},
    )
    def get(self, request):
        query = RecommendationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        answer = services.recommend_for_user(user=request.user, limit=query.validated_data["limit"])
        recommendations = {
            "source": answer.source,
            "based_on": answer.based_on,
            "results": selectors.recommended_movies(answer.titles),
        }
        return Response(RecommendationsSerializer(recommendations).data)
