"""The import views: thin, they check the upload, call the service, and answer."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from api.exceptions import RequestTooLarge, error_responses
from your_data.models import Import

from . import selectors, services
from .formats import ImportFileError
from .serializers import ImportCreateSerializer, ImportSerializer


@extend_schema_view(
    list=extend_schema(responses={200: ImportSerializer(many=True), **error_responses(400, 401, 404)}),
    retrieve=extend_schema(responses={200: ImportSerializer, **error_responses(401, 404)}),
)
class ImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's imports; another user's answers 404."""

    serializer_class = ImportSerializer
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Import.objects.none()
        return selectors.user_imports(user=self.request.user)

    @extend_schema(
        request={"multipart/form-data": ImportCreateSerializer},
        responses={202: ImportSerializer, **error_responses(400, 401, 413)},
    )
    def create(self, request):
        body = ImportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        try:
            job = services.import_create(
                user=request.user,
                format_name=body.validated_data["format"],
                upload=upload,
                filename=upload.name or "",
                size=upload.size,
            )
        except services.UploadTooLarge:
            megabytes = settings.IMPORT_UPLOAD_MAX_BYTES // (1024 * 1024)
            raise RequestTooLarge(f"The file is larger than an import accepts ({megabytes} MB).") from None
        except ImportFileError as error:
            raise ValidationError({"file": [str(error)]}) from None
        return Response(ImportSerializer(job).data, status=status.HTTP_202_ACCEPTED)
