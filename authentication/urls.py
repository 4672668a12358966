from django.urls import path

from . import api

urlpatterns = [
    path("auth/register/", api.RegisterView.as_view(), name="auth-register"),
    path("auth/login/", api.LoginView.as_view(), name="auth-login"),
    path("auth/refresh/", api.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout/", api.LogoutView.as_view(), name="auth-logout"),
    path("auth/me/", api.MeView.as_view(), name="auth-me"),
    path("auth/password/", api.PasswordChangeView.as_view(), name="auth-password"),
    path("auth/password/reset/", api.PasswordResetView.as_view(), name="auth-password-reset"),
    path(
        "auth/password/reset/confirm/",
        api.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
]
