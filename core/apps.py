from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Carewatch core"

    def ready(self) -> None:
        from core import schema  # noqa: F401 - OpenAPI auth extension
