"""Every app's REST routes, mounted under /api/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .asyncapi import asyncapi
from .health import HealthView

urlpatterns = [
    path("", include("authentication.urls")),
    path("", include("movie_module.urls")),
    path("", include("chat.urls")),
    path("", include("your_data.urls")),
    path("health/", HealthView.as_view(), name="health"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("asyncapi/", asyncapi, name="asyncapi"),
]
