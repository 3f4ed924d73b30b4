"""The export also holds how the clinic was set up and what it was sent: its sources, the
platforms' earlier versions of its reviews, its webhook subscriptions, the post-crisis reviews
it received, its reply templates and its settings; never a secret, and nothing of an item
redacted or deleted at its author's request."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from accounts.models import ApiKey
from clinics.services import clinic_api_key_create
from crisis.models import DetectorSettings, PostCrisisReview
from feeds.models import Review, ReviewRevision, Source, SourceConnection, SourceOutage
from offboarding.exports import export_request, export_run
from reports.models import ReportSettings
from responses.models import ReplyTemplate
from webhooks.models import WebhookSubscription

pytestmark = pytest.mark.django_db

SOURCE_CREDENTIALS = "gAAAA-source-credentials-h14"
SETTINGS_KEY = "sk-live-settings-key-h14"
WEBHOOK_SECRET = "gAAAA-webhook-secret-h14"


def _export(world, clinic, capture):
    with mock.patch("core.queueing.tasks_enqueue"), capture(execute=True):
        job = export_request(clinic=clinic, actor=Actor(user=world.users["alpha_owner"]))
    job = export_run(export_id=job.pk)
    assert job.status == "done"
    with default_storage.open(job.file_name, "rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def _rows(zf, name) -> list[dict]:
    rows = list(csv.reader(io.StringIO(zf.read(name).decode("utf-8"))))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _header(zf, name) -> list[str]:
    return next(csv.reader(io.StringIO(zf.read(name).decode("utf-8"))))


def _given_a_set_up_clinic(clinic, rows):
    r = rows(clinic)
    kept = r.review(rating=2, text="Waited an hour")
    by_request = r.review(rating=1, text="[removed at the author's request]")
    redacted = r.review(rating=3, text="[removed at the author's request]")
    sent_incident, draft_incident = r.incident(title="Wait times"), r.incident(title="Parking")
    now = timezone.now()
    with schema_context(clinic.schema_name):
        source = Source.objects.create(
            kind="google",
            name="Main street office",
            settings={"location_id": "locations/42", "api_key": SETTINGS_KEY},
            credentials_encrypted=SOURCE_CREDENTIALS,
            poll_interval_minutes=30,
        )
        SourceConnection.objects.create(
            source=source, platform="google", account_ref="accounts/1/locations/42",
            account_name="Clinic B, 1 Main St", grant_ref="grant-h14", connected_at=now,
        )  # fmt: skip
        SourceOutage.objects.create(
            source=source, kind="connection_lost", started_at=now - timedelta(hours=3),
            ended_at=now - timedelta(hours=1), detail="Google refused to renew the access.",
        )  # fmt: skip
        SourceOutage.objects.create(
            source=source, kind="turned_off", started_at=now, started_by="Alex Agency"
        )
        Review.objects.filter(pk=by_request.pk).update(
            is_deleted=True, deleted_at=now, redacted_at=now
        )
        Review.objects.filter(pk=redacted.pk).update(redacted_at=now)
        ReviewRevision.objects.create(
            review=kept, kind="edit", text="Waited two hours", rating=1, edited_at=now
        )
        for review in (by_request, redacted):
            ReviewRevision.objects.create(review=review, kind="edit", text="Dr Ito's words")
        WebhookSubscription.objects.create(
            url="https://hooks.example.com/carewatch", events=["review.created"],
            description="CRM", secret_encrypted=WEBHOOK_SECRET,
        )  # fmt: skip
        PostCrisisReview.objects.create(
            incident=sent_incident, lessons="Answer within the hour.", prevention="More staff.",
            metrics={"mentions": 12}, sent_at=now, sent_by="Alex Agency",
        )  # fmt: skip
        PostCrisisReview.objects.create(incident=draft_incident, lessons="Draft, never sent.")
        ReplyTemplate.objects.create(
            key="warm-thanks", name="Warm thanks", category="thank", body="Thank you, {name}!"
        )
        DetectorSettings.objects.create(pk=1, surge_min_count=7)
    ReportSettings.objects.create(
        clinic=clinic, send_monthly=True, extra_recipients=["board@example.com"]
    )
    return kept, by_request, redacted, source, sent_incident


def test_the_export_holds_the_clinics_set_up_and_history(
    world, clinic_b, rows, django_capture_on_commit_callbacks
):
    # given
    kept, by_request, redacted, source, sent_incident = _given_a_set_up_clinic(clinic_b, rows)
    # when
    zf = _export(world, clinic_b, django_capture_on_commit_callbacks)
    # then each file: its header and its rows
    assert _header(zf, "sources.csv") == [
        "id", "kind", "platform", "name", "enabled", "settings", "connected_account",
        "poll_interval_minutes", "replies_by_hand", "past_reviews_before", "created_at",
    ]  # fmt: skip
    main = next(s for s in _rows(zf, "sources.csv") if s["id"] == str(source.pk))
    assert (main["kind"], main["platform"], main["name"], main["enabled"]) == (
        "google", "Google Business Profile", "Main street office", "True",
    )  # fmt: skip
    assert main["settings"] == '{"api_key": "(hidden)", "location_id": "locations/42"}'
    assert (main["connected_account"], main["poll_interval_minutes"]) == (
        "Clinic B, 1 Main St",
        "30",
    )

    # each time a source stopped delivering, without the platform's words
    assert _header(zf, "source_outages.csv") == [
        "source_id", "why", "started_at", "ended_at", "started_by",
    ]  # fmt: skip
    outages = _rows(zf, "source_outages.csv")
    assert [(o["source_id"], o["why"], o["started_by"], bool(o["ended_at"])) for o in outages] == [
        (str(source.pk), "connection_lost", "", True),
        (str(source.pk), "turned_off", "Alex Agency", False),
    ]
    assert "renew" not in zf.read("source_outages.csv").decode()

    assert _header(zf, "review_revisions.csv") == [
        "review_id", "kind", "text", "rating", "edited_at", "captured_at",
    ]  # fmt: skip
    revisions = _rows(zf, "review_revisions.csv")
    assert [(r["review_id"], r["kind"], r["text"], r["rating"]) for r in revisions] == [
        (str(kept.pk), "edit", "Waited two hours", "1")
    ]

    assert _header(zf, "webhooks.csv") == [
        "id", "url", "events", "description", "enabled", "created_at",
    ]  # fmt: skip
    [hook] = _rows(zf, "webhooks.csv")
    assert (hook["url"], hook["events"], hook["description"], hook["enabled"]) == (
        "https://hooks.example.com/carewatch", '["review.created"]', "CRM", "True",
    )  # fmt: skip

    assert _header(zf, "post_crisis_reviews.csv") == [
        "incident_id", "incident_title", "lessons", "prevention", "metrics",
        "response_plan_version", "sent_at", "sent_by",
    ]  # fmt: skip
    [sent] = _rows(zf, "post_crisis_reviews.csv")  # the draft never sent is not the clinic's
    assert (sent["incident_id"], sent["incident_title"], sent["lessons"]) == (
        str(sent_incident.pk), "Wait times", "Answer within the hour.",
    )  # fmt: skip
    assert (sent["metrics"], sent["sent_by"]) == ('{"mentions": 12}', "Alex Agency")

    assert _header(zf, "reply_templates.csv") == [
        "key", "name", "category", "body", "is_active", "created_at", "updated_at",
    ]  # fmt: skip
    [template] = _rows(zf, "reply_templates.csv")
    assert (template["key"], template["category"], template["body"]) == (
        "warm-thanks", "thank", "Thank you, {name}!",
    )  # fmt: skip

    assert _header(zf, "settings.csv") == ["area", "setting", "value"]
    settings = {(s["area"], s["setting"]): s["value"] for s in _rows(zf, "settings.csv")}
    assert settings[("general", "timezone")] == clinic_b.timezone
    assert settings[("general", "reply_target_minutes")] == str(clinic_b.reply_target_minutes)
    assert settings[("replies", "require_client_approval")] == "True"
    assert settings[("detectors", "surge_min_count")] == "7"
    assert settings[("detectors", "surge_p_value")] == "0.0001"
    assert settings[("monthly_report", "send_monthly")] == "True"
    assert settings[("monthly_report", "extra_recipients")] == '["board@example.com"]'

    readme = zf.read("README.txt").decode()
    assert "review_revisions.csv (1 rows)" in readme and "webhooks.csv (1 rows)" in readme
    assert "settings.csv" in readme and "post_crisis_reviews.csv (1 rows)" in readme


def test_the_export_holds_no_secret_and_no_words_removed_at_a_request(
    world, clinic_b, rows, django_capture_on_commit_callbacks
):
    # given a clinic with source credentials, a webhook secret and an API key, and earlier
    # versions of items redacted or deleted at their author's request
    _given_a_set_up_clinic(clinic_b, rows)
    key, issued = clinic_api_key_create(
        clinic=clinic_b, name="CRM sync", scopes=["read"], created_by=world.users["alpha_owner"]
    )
    digest = ApiKey.objects.get(pk=key.pk).digest
    # when
    zf = _export(world, clinic_b, django_capture_on_commit_callbacks)
    # then no member holds any of them
    assert {"sources.csv", "webhooks.csv", "review_revisions.csv"} <= set(zf.namelist())
    everything = b"\n".join(zf.read(name) for name in zf.namelist()).decode("utf-8")
    for secret in (SOURCE_CREDENTIALS, SETTINGS_KEY, WEBHOOK_SECRET, issued.secret, digest):
        assert secret not in everything
    assert "Dr Ito's words" not in everything
    assert "grant-h14" not in everything


@pytest.mark.parametrize(
    ("stored", "exported"),
    [
        (
            "https://crm.example.com/hooks/carewatch?token=tok-h14-secret&team=7",
            "https://crm.example.com/hooks/carewatch?token=(hidden)&team=(hidden)",
        ),
        (
            "https://bot:pw-h14-secret@crm.example.com:8443/in#sig-h14-secret",
            "https://(hidden)@crm.example.com:8443/in#(hidden)",
        ),
        ("https://hooks.example.com/carewatch", "https://hooks.example.com/carewatch"),
    ],
    ids=["query-string", "userinfo-and-fragment", "nothing-to-hide"],
)
def test_a_webhook_urls_secrets_are_hidden_in_the_export(
    world, clinic_b, django_capture_on_commit_callbacks, stored, exported
):
    # given a subscription whose URL carries a credential (as some receivers take it)
    with schema_context(clinic_b.schema_name):
        WebhookSubscription.objects.create(url=stored, events=["review.created"])
    # when the clinic is exported
    zf = _export(world, clinic_b, django_capture_on_commit_callbacks)
    # then its URL names the receiver, never the credential
    [hook] = _rows(zf, "webhooks.csv")
    assert hook["url"] == exported
    everything = b"\n".join(zf.read(name) for name in zf.namelist()).decode("utf-8")
    assert "h14-secret" not in everything
