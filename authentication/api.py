from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, permissions, status
from rest_framework.exceptions import AuthenticationFailed, Throttled, ValidationError
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from api.exceptions import error_responses

from . import services
from .serializers import (
    AccountDeleteSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetSerializer,
    RefreshSerializer,
    RegisterSerializer,
    UserSerializer,
)
from .throttling import LOCKED_OUT_DETAIL


@extend_schema_view(post=extend_schema(responses={201: RegisterSerializer, **error_responses(400, 429)}))
class RegisterView(generics.CreateAPIView):
    serializer_class = RegisterSerializer
    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    def perform_create(self, serializer):
        try:
            serializer.instance = services.user_create(**serializer.validated_data)
        except services.UsernameTaken as error:
            raise ValidationError({"username": ["A user with that username already exists."]}) from error


@extend_schema_view(
    post=extend_schema(
        responses={200: jwt_serializers.TokenObtainPairSerializer, **error_responses(400, 401, 429)}
    )
)
class LoginView(jwt_views.TokenObtainPairView):
    """simplejwt's login, with django-axes counting failures (settings: AXES_*)."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except TokenError as error:
            raise InvalidToken(error.args[0]) from error
        except AuthenticationFailed:
            # Axes refuses a locked-out address or username inside authenticate(), which
            # simplejwt reports as wrong credentials; say what really happened.
            if getattr(request, "axes_locked_out", False):
                raise Throttled(detail=LOCKED_OUT_DETAIL) from None
            raise
        # Django's login signal, which simplejwt does not send: it sets last_login, and
        # axes forgets the account's failed attempts.
        user_logged_in.send(sender=type(serializer.user), request=request, user=serializer.user)
        return Response(serializer.validated_data, status=status.HTTP_200_OK)


@extend_schema_view(post=extend_schema(responses={200: RefreshSerializer, **error_responses(400, 401)}))
class RefreshView(jwt_views.TokenRefreshView):
    serializer_class = RefreshSerializer


class LogoutView(jwt_views.TokenBlacklistView):
    @extend_schema(responses={205: None, **error_responses(400, 401)})
    def post(self, request, *args, **kwargs):
        super().post(request, *args, **kwargs)
        return Response(status=status.HTTP_205_RESET_CONTENT)


@extend_schema_view(
    get=extend_schema(responses={200: UserSerializer, **error_responses(401)}),
    patch=extend_schema(responses={200: UserSerializer, **error_responses(400, 401)}),
)
class MeView(generics.RetrieveUpdateAPIView):
    serializer_class = UserSerializer
    permission_classes = [permissions.IsAuthenticated]
    http_method_names = ["get", "patch", "delete", "head", "options"]
    throttle_scope = "auth"

    def get_object(self):
        return self.request.user

    def get_throttles(self):
        # Deleting checks the password: throttled as logins are, so it is no way to guess it.
        return [ScopedRateThrottle()] if self.request.method == "DELETE" else []

    @extend_schema(request=AccountDeleteSerializer, responses={204: None, **error_responses(400, 401, 429)})
    def delete(self, request):
        """Delete the caller's account and everything it owns."""
        body = AccountDeleteSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        services.user_delete(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    # The old password is checked here too: a stolen access token must not be a way to guess it.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=PasswordChangeSerializer, responses={204: None, **error_responses(400, 401, 429)})
    def post(self, request):
        serializer = PasswordChangeSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        services.user_change_password(
            user=request.user, new_password=serializer.validated_data["new_password"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(APIView):
    """Mail a reset link to the account with this address; the same answer for any address."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=PasswordResetSerializer, responses={204: None, **error_responses(400, 429)})
    def post(self, request):
        body = PasswordResetSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.password_reset_request(email=body.validated_data["email"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetConfirmView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=PasswordResetConfirmSerializer, responses={204: None, **error_responses(400, 429)})
    def post(self, request):
        body = PasswordResetConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.user_change_password(
            user=body.validated_data["user"], new_password=body.validated_data["new_password"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
