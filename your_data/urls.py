from django.urls import path
from rest_framework.routers import SimpleRouter

from .export.api import ExportView
from .imports.api import ImportViewSet

router = SimpleRouter()
router.register("imports", ImportViewSet, basename="import")

urlpatterns = [
    path("me/export/", ExportView.as_view(), name="export"),
    *router.urls,
]
