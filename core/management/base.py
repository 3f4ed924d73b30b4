from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError


def describe(error: DomainError) -> str:
    parts = [error.detail]
    for field, messages in error.fields.items():
        parts.append(f"{field}: {' '.join(str(m) for m in messages)}")
    return " ".join(parts)


class ServiceCommand(BaseCommand):
    """A command that calls services: their domain errors become clear command errors."""

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except DomainError as exc:
            raise CommandError(describe(exc)) from exc
