from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class AuthenticationConfig(AppConfig):
    name = "authentication"
    verbose_name = "Authentication"

    def ready(self):
        from . import signals

        user_model = self.get_model("User")
        post_save.connect(signals.forget_saved_user, sender=user_model)
        post_delete.connect(signals.forget_deleted_user, sender=user_model)
