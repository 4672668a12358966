from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from api.serializers import ApiModelSerializer

from . import services
from .models import EMAIL_TAKEN, USERNAME_TAKEN, User


def normalized_username(username: str) -> str:
    """The username as stored (NFKC, as Django normalises it), checked against the model
    field's rules: 150 characters, letters of any alphabet, digits and @/./+/-/_
    (UnicodeUsernameValidator), no mix of Latin, Greek and Cyrillic letters. Raises
    DjangoValidationError.

    Called from `validate_username`, not listed as the field's validators, so the OpenAPI
    schema does not copy the validator's `\\w` pattern: Python reads it as the letters of
    any alphabet, the schema's (ECMA) regex as ASCII ones only.
    """
    username = User.normalize_username(username)
    User._meta.get_field("username").run_validators(username)
    return username


def normalized_email(email: str) -> str:
    """The address as stored (the domain in lower case, as Django normalises it), checked
    against the model field's rules. Raises DjangoValidationError."""
    email = User.objects.normalize_email(email)
    User._meta.get_field("email").run_validators(email)
    return email


class RegisterSerializer(ApiModelSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)

    class Meta:
        model = User
        fields = ["id", "username", "email", "password"]
        read_only_fields = ["id"]
        # validate_username replaces the model field's validators, exact-case uniqueness included.
        extra_kwargs = {"username": {"validators": []}}

    def validate_username(self, username):
        username = normalized_username(username)
        if User.objects.with_username(username).exists():
            raise serializers.ValidationError(USERNAME_TAKEN)
        return username

    def validate_email(self, email):
        email = normalized_email(email)
        if User.objects.with_email(email).exists():
            raise serializers.ValidationError(EMAIL_TAKEN)
        return email

    def validate(self, attrs):
        candidate = User(username=attrs["username"], email=attrs["email"])
        try:
            validate_password(attrs["password"], candidate)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"password": list(error.messages)}) from error
        return attrs


class UserSerializer(ApiModelSerializer):
    email = serializers.EmailField(max_length=254, required=True)

    class Meta:
        model = User
        fields = ["id", "username", "email", "date_joined"]
        read_only_fields = ["id", "username", "date_joined"]

    def validate_email(self, email):
        email = normalized_email(email)
        if User.objects.with_email(email).exclude(pk=self.instance.pk).exists():
            raise serializers.ValidationError(EMAIL_TAKEN)
        return email

    def update(self, instance, validated_data):
        if "email" in validated_data:  # a PATCH may leave it out
            services.user_change_email(user=instance, email=validated_data["email"])
        return instance


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(trim_whitespace=False, max_length=128)
    new_password = serializers.CharField(trim_whitespace=False, max_length=128)

    def validate_old_password(self, old_password):
        if not self.context["request"].user.check_password(old_password):
            raise serializers.ValidationError("Your old password was entered incorrectly.")
        return old_password

    def validate_new_password(self, new_password):
        try:
            validate_password(new_password, self.context["request"].user)
        except DjangoValidationError as error:
            raise serializers.ValidationError(list(error.messages)) from error
        return new_password


class RefreshSerializer(TokenRefreshSerializer):
    """simplejwt's refresh, refusing a token whose account is gone (simplejwt answers 500),
    inactive, or whose password changed since it was issued (a password change or reset)."""

    def validate(self, attrs):
        refresh = self.token_class(attrs["refresh"])
        user = (
            get_user_model()
            .objects.filter(pk=refresh.payload.get(jwt_settings.USER_ID_CLAIM))
            .only("id", "is_active", "password")
            .first()
        )
        if (
            user is None
            or not jwt_settings.USER_AUTHENTICATION_RULE(user)
            or (
                jwt_settings.CHECK_REVOKE_TOKEN
                and refresh.payload.get(jwt_settings.REVOKE_TOKEN_CLAIM)
                != get_md5_hash_password(user.password)
            )
        ):
            raise AuthenticationFailed("No active account found for the given token.", "no_active_account")
        return super().validate(attrs)


class AccountDeleteSerializer(serializers.Serializer):
    password = serializers.CharField(trim_whitespace=False, max_length=128)

    def validate_password(self, password):
        if not self.context["request"].user.check_password(password):
            raise serializers.ValidationError("Your password was entered incorrectly.")
        return password


class PasswordResetSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(trim_whitespace=False, max_length=128)

    def validate(self, attrs):
        try:
            user = services.password_reset_user(uid=attrs["uid"], token=attrs["token"])
        except services.InvalidResetLink:
            raise serializers.ValidationError(
                {"token": ["This reset link is invalid, used or expired: ask for a new one."]}
            ) from None
        try:
            validate_password(attrs["new_password"], user)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"new_password": list(error.messages)}) from error
        return {**attrs, "user": user}
