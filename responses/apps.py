from django.apps import AppConfig


class ResponsesConfig(AppConfig):
    name = "responses"
    verbose_name = "Replies, approvals, statements and publishing"

    def ready(self) -> None:
        from responses import signals  # noqa: F401 - worker start-up: build the guard
