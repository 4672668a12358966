from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from .models import User


def validate_username(username: str) -> None:
    """Letters of any alphabet, digits and @/./+/-/_ (Django's UnicodeUsernameValidator).

    A function, so the OpenAPI schema does not copy the validator's `\\w` pattern: Python reads
    it as the letters of any alphabet, the schema's (ECMA) regex as ASCII ones only.
    """
    UnicodeUsernameValidator()(username)


class RegisterSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)

    class Meta:
        model = User
        fields = ["id", "username", "email", "password"]
        read_only_fields = ["id"]
        # The case-insensitive check below replaces the model field's exact-case one.
        extra_kwargs = {"username": {"validators": [validate_username]}}

    def validate_username(self, username):
        if User.objects.filter(username__iexact=username).exists():
            raise serializers.ValidationError("A user with that username already exists.")
        return username

    def validate(self, attrs):
        candidate = User(username=attrs["username"], email=attrs["email"])
        try:
            validate_password(attrs["password"], candidate)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"password": list(error.messages)}) from error
        return attrs


class UserSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(max_length=254, required=True)

    class Meta:
        model = User
        fields = ["id", "username", "email", "date_joined"]
        read_only_fields = ["id", "username", "date_joined"]


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
