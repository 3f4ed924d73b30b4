"""Fixtures for replies, statements and publishing: the local fake platforms (the connectors
publish to it over real HTTP), reviews on any kind of source, callers' access, and a clinic
whose rows are committed (for the tests where two threads race)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.access import clinic_access
from clinics.models import Clinic
from feeds.models import Review, Source
from feeds.services import source_create
from responses.services.outbox import outbox_deliver
from tests.feeds.conftest import FAST_HTTP
from tests.feeds.fake_platforms import FakePlatforms

# Texts whose guard verdicts are known (see responses/guard): what each one exercises.
OK_TEXT = "Thank you for your feedback. Please contact us at +1 555 0100 so we can help."
TONE_TEXT = "Thank you for the feedback, but you are wrong and this is ridiculous."  # review
# medical information in a public reply: a clinician reviews it (a fact about the practice, such
# as how it stores vaccines, is not a health detail and needs nobody)
HEALTH_TEXT = "Thank you for sharing. Chemotherapy can be exhausting."  # needs review (rules)
BLOCK_TEXT = "Thank you. We reviewed your chart and everything was fine."  # block
REVIEW_TEXT = "Waited an hour and nobody called me back about the bill."
PLATFORM_KINDS = ("google", "facebook", "yelp")
_numbers = itertools.count(1)


@pytest.fixture
def platforms(settings):
    """The fake Google / Facebook / Yelp, with every connector pointed at it; the connectors
    do not retry themselves, so each platform error reaches the outbox."""
    fake = FakePlatforms().start()
    settings.CONNECTOR_BASE_URLS = dict.fromkeys(PLATFORM_KINDS, fake.base_url)
    settings.CONNECTOR_HTTP_OPTIONS = {**FAST_HTTP, "max_retries": 0}
    try:
        yield fake
    finally:
        fake.stop()


def source_of(kind: str, fake: FakePlatforms | None = None) -> Source:
    """The clinic's (current schema's) source of that kind, created on first use."""
    source = Source.objects.filter(kind=kind).order_by("pk").first()
    if source is not None:
        return source
    real = fake is not None and kind in PLATFORM_KINDS
    return source_create(
        kind=kind,
        name=f"{kind} source",
        settings=fake.settings(kind) if real else {},
        credentials=fake.credentials(kind) if real else {},
    )


def review_in(
    clinic: Clinic,
    kind: str = "google",
    *,
    fake: FakePlatforms | None = None,
    text: str = REVIEW_TEXT,
    published_at=None,
) -> Review:
    """A review in `clinic`; on Google with a fake, one that the fake knows (so a reply PUT
    to it succeeds)."""
    with schema_context(clinic.schema_name):
        source = source_of(kind, fake)
        if kind == "google" and fake is not None:
            external_id = fake.add_google_reviews(1, rating=2, text=text)[0]
        else:
            external_id = f"{kind}-{next(_numbers)}-{uuid.uuid4().hex[:6]}"
        return Review.objects.create(
            source=source,
            external_id=external_id,
            author_name="Sam R.",
            rating=2,
            text=text,
            published_at=published_at or timezone.now() - timedelta(hours=2),
        )


def reply_waiting_in(
    clinic: Clinic,
    review: Review,
    writer,
    *,
    status: str = "pending_client",
    text: str = "Thank you for your visit.",
):
    """A reply by `writer` to `review`, version 1, on the route agency → client, in `status`
    (by default waiting at the clinic's approval step), made directly: for tests of who is
    told what waits, not of the workflow that brings it there."""
    from responses.models import ReplyDraft, ReplyVersion

    with schema_context(clinic.schema_name):
        draft = ReplyDraft.objects.create(
            review=review, status=status, version=1, route=["agency", "client"],
            author_label=f"user:{writer.pk}", author_name=writer.full_name,
        )  # fmt: skip
        ReplyVersion.objects.create(
            draft=draft, number=1, guard_verdict="ok", author_label=f"user:{writer.pk}",
            author_name=writer.full_name, text=text,
        )  # fmt: skip
    return draft


@pytest.fixture
def access_of(world):
    """access_of("a_legal", clinic) -> that person's ClinicAccess in the clinic."""

    def _access(name: str, clinic: Clinic):
        return clinic_access(Actor(user=world.users[name]), clinic)

    return _access


class Api:
    """JSON calls to one clinic's API as one signed-in person."""

    def __init__(self, client: Client, clinic: Clinic):
        self.client, self.clinic = client, clinic

    def url(self, path: str) -> str:
        return f"/clinics/{self.clinic.slug}/api/v1/{path}"

    def get(self, path: str, **params):
        return self.client.get(self.url(path), params)

    def post(self, path: str, data: dict | None = None):
        return self.client.post(self.url(path), data or {}, content_type="application/json")

    def patch(self, path: str, data: dict):
        return self.client.patch(self.url(path), data, content_type="application/json")


@pytest.fixture
def as_user(login) -> Callable[[str, Clinic], Api]:
    def _as(name: str, clinic: Clinic) -> Api:
        return Api(login(name), clinic)

    return _as


def approved_reply(clinic: Clinic, as_user, review: Review, text: str = OK_TEXT) -> dict:
    """Draft, submit and approve (agency, clinic) a reply through the API: the approved draft,
    its outbox items queued."""
    writer = as_user("alpha_writer", clinic)
    draft = writer.post("drafts/", {"review_id": review.pk, "text": text}).json()
    writer.post(f"drafts/{draft['id']}/submit/")
    as_user("alpha_manager", clinic).post(f"drafts/{draft['id']}/approve/")
    approved = as_user("a_approver", clinic).post(f"drafts/{draft['id']}/approve/").json()
    assert approved["status"] == "approved", approved
    return approved


def deliver_in(clinic: Clinic, item_id: int, **kw) -> str:
    """Run one outbox item's delivery in the clinic's schema, as the worker does."""
    with schema_context(clinic.schema_name):
        return outbox_deliver(item_id=item_id, **kw)
