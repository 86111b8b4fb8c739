from django.apps import AppConfig


class ConvertedinFeedConfig(AppConfig):
    name = "convertedin_feed"
    verbose_name = "Converted.in feed"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from convertedin_feed import checks  # noqa: F401  (registers the system checks)
