"""Encrypt every stored secret again with the newest CREDENTIALS_KEY, so an old key can go.

Key rotation: put the new key first in CREDENTIALS_KEY (keep the old one after it), restart,
run this command, then remove the old key. Covers the public schema (Slack/Teams webhook URLs)
and every clinic (source credentials, tokens of unfinished connections, outbound webhook
secrets). Safe to run again; a secret no configured key can read is reported, not changed."""

from django.core.management.base import BaseCommand
from django.db import transaction

from clinics.models import ChatWebhook
from clinics.schemas import clinic_schemas_each
from core.crypto import reencrypt
from feeds.models import ConnectAttempt, Source
from webhooks.models import WebhookSubscription

TENANT_FIELDS = (
    (Source, "credentials_encrypted"),
    (ConnectAttempt, "secrets_encrypted"),
    (WebhookSubscription, "secret_encrypted"),
)


def _rows(model, field: str) -> tuple[int, list[str]]:
    done, unreadable = 0, []
    with transaction.atomic():
        for row in model.objects.select_for_update().exclude(**{field: ""}).only("pk", field):
            try:
                value = reencrypt(getattr(row, field))
            except ValueError:
                unreadable.append(f"{model.__name__} {row.pk}")
                continue
            model.objects.filter(pk=row.pk).update(**{field: value})
            done += 1
    return done, unreadable


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def handle(self, *args, **options):
        total, problems = _rows(ChatWebhook, "url_encrypted")
        for schema in clinic_schemas_each():
            for model, field in TENANT_FIELDS:
                done, unreadable = _rows(model, field)
                total += done
                problems += [f"{schema}: {u}" for u in unreadable]
        self.stdout.write(f"{total} secret(s) encrypted again with the newest key.")
        for problem in problems:
            self.stderr.write(f"cannot be read with any configured key: {problem}")
