"""Synthetic review streams for the crisis tests, written straight into a clinic's schema.

Times are fixed (NOW, a Wednesday afternoon) so that every run sees the same data; rows get
`updated_at = published_at`, as if each had been fetched when it was published."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import F
from django_tenants.utils import schema_context

from accounts.actors import Actor
from crisis.models import Incident, IncidentMention, IncidentStatement
from crisis.services import (
    detector_settings_update,
    detectors_run,
    incident_acknowledge,
    incident_status_set,
)
from feeds.models import Review, Source
from responses.models import ReplyDraft, Statement
from scoring.models import ReviewScore
from tests.fixtures.rows import scores_add
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.services import subscription_create
from webhooks.tasks import delivery_attempt_task

# Resolving needs the checklist all clear or a reason; tests about something else give one.
ANYWAY = "Resolved anyway in this test: the checklist is not what it checks."
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
SCORE_OF = {"negative": -0.8, "neutral": 0.0, "positive": 0.8}
POSITIVE_TEXTS = ["Friendly staff and quick visit", "Great care, thank you", "On time, kind nurse"]
NEGATIVE_TEXTS = ["Waited far too long", "Receptionist was rude", "Billing mess again"]


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


@dataclass
class Stream:
    """Writes reviews (and their scores) into the clinic schema it was made in."""

    source: Source
    count: int = 0
    rows: list[tuple[Review, dict | None]] = field(default_factory=list)

    def item(
        self,
        at: datetime,
        *,
        label: str | None = "negative",
        rating: int | None = None,
        kind: str = "review",
        text: str = "",
        engagement: tuple[int, int, int] = (0, 0, 0),
        flags: list[dict] | None = None,
        status: str = "new",
    ) -> Review:
        self.count += 1
        review = Review(
            source=self.source,
            external_id=f"s{self.count}",
            kind=kind,
            rating=rating,
            text=text or (NEGATIVE_TEXTS if label == "negative" else POSITIVE_TEXTS)[0],
            published_at=at,
            likes=engagement[0],
            shares=engagement[1],
            replies=engagement[2],
            status=status,
        )
        score = None
        if label is not None:
            score = {"label": label, "score": SCORE_OF[label], "flags": flags or []}
        self.rows.append((review, score))
        return review

    def flush(self) -> list[Review]:
        reviews = Review.objects.bulk_create([r for r, _ in self.rows], batch_size=2000)
        scores_add(
            [
                ReviewScore(
                    review=review,
                    model_version="test",
                    label=s["label"],
                    score=s["score"],
                    flags=s["flags"],
                )
                for review, s in zip(reviews, [s for _, s in self.rows], strict=True)
                if s is not None
            ],
            batch_size=2000,
        )
        Review.objects.filter(pk__in=[r.pk for r in reviews]).update(updated_at=F("published_at"))
        self.rows = []
        return reviews

    def add(self, at: datetime, **kwargs) -> Review:
        self.item(at, **kwargs)
        return self.flush()[-1]


# Items per hour of the day, relative: quiet nights, busy working hours.
HOURLY = [0.2] * 7 + [1.0] * 12 + [0.5] * 5


def calm_baseline(
    stream: Stream,
    *,
    end: datetime = NOW,
    days: int = 30,
    per_day: float = 48,
    negative_share: float = 0.2,
    mention_share: float = 0.2,
    seed: int = 7,
) -> int:
    """A month of ordinary traffic: Poisson counts with a daily and weekly rhythm, a fifth of
    them negative, ratings that match their label, a little engagement."""
    rng = random.Random(seed)
    scale = per_day / sum(HOURLY)
    t = (end - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    made = 0
    while t < end:
        weekly = 1.2 if t.weekday() < 5 else 0.6
        for _ in range(_poisson(rng, HOURLY[t.hour] * scale * weekly)):
            at = t + timedelta(seconds=rng.randrange(3600))
            if at >= end:
                continue
            roll = rng.random()
            label = (
                "negative"
                if roll < negative_share
                else "neutral"
                if roll < negative_share + 0.15
                else "positive"
            )
            mention = rng.random() < mention_share
            rating = None
            if not mention:
                rating = {
                    "negative": rng.choice([1, 2]),
                    "neutral": 3,
                    "positive": rng.choice([4, 5, 5]),
                }[label]
            stream.item(
                at,
                label=label,
                rating=rating,
                kind="mention" if mention else "review",
                text=rng.choice(NEGATIVE_TEXTS if label == "negative" else POSITIVE_TEXTS),
                engagement=(rng.randrange(6), rng.randrange(2), rng.randrange(3)),
            )
            made += 1
        t += timedelta(hours=1)
    stream.flush()
    return made


@pytest.fixture
def in_clinic_a(clinic_a):
    with schema_context(clinic_a.schema_name):
        yield clinic_a


@pytest.fixture
def in_utc(clinic_a):
    """Clinic A on UTC whatever an earlier test left it on (times below are read in UTC)."""
    before = clinic_a.timezone
    clinic_a.timezone = "UTC"
    clinic_a.save(update_fields=["timezone"])
    yield clinic_a
    clinic_a.timezone = before
    clinic_a.save(update_fields=["timezone"])


@pytest.fixture
def stream(in_clinic_a) -> Stream:
    return Stream(source=Source.objects.create(kind="google", name="Google"))


@pytest.fixture
def social(in_clinic_a) -> Stream:
    return Stream(source=Source.objects.create(kind="facebook", name="Facebook"))


@dataclass
class CrisisWebhook:
    subscription: WebhookSubscription
    queued: list[int]  # delivery ids whose task was queued (after commit)

    def deliveries(self) -> list[WebhookDelivery]:
        """The stored deliveries to the subscription, oldest first."""
        return list(self.subscription.deliveries.order_by("created_at", "pk"))


@pytest.fixture
def crisis_webhook(in_clinic_a, settings, monkeypatch) -> CrisisWebhook:
    """Clinic A subscribed to the incident events. Events are stored as WebhookDelivery rows
    by the real `webhook_event_emit`; the delivery tasks are recorded, not sent to Redis."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    queued: list[int] = []
    monkeypatch.setattr(
        delivery_attempt_task, "apply_async", lambda args, **kw: queued.append(args[0])
    )
    subscription, _ = subscription_create(
        url="http://127.0.0.1:9/carewatch", events=["incident.opened", "incident.resolved"]
    )
    return CrisisWebhook(subscription=subscription, queued=queued)


def acting(name: str) -> Actor:
    """A test stand-in for the person or part of Carewatch that acts (shown as `name`)."""
    return Actor.of_system("test", name)


MIN, HOUR = timedelta(minutes=1), timedelta(hours=1)
MISINFO = [{"name": "misinformation", "probability": 0.9}]


@pytest.fixture
def surge(stream, world, clinic_a):
    """A negative surge detected at NOW (15:00 UTC) over a 120-minute window (from 13:00); its
    first mention at 13:30; resolved at 19:00. So: onset 13:00, six-hour windows."""
    # the clinic's history starts a month before (outside every window): its week before
    # is a whole week (`crisis.metrics`: a history that starts inside it shortens it)
    stream.add(NOW - 30 * 24 * HOUR, label="positive", rating=5)
    # before [07:00, 13:00): two happy reviews and one unhappy one
    stream.add(NOW - 7 * HOUR, label="positive", rating=5)
    stream.add(NOW - 5 * HOUR, label="positive", rating=4)
    stream.add(NOW - 3 * HOUR, label="negative", rating=2)
    # during [13:00, 19:00): four linked negative mentions, two of them false claims
    linked = [
        stream.add(NOW - 90 * MIN, label="negative", kind="mention", engagement=(3, 0, 1)),
        stream.add(
            NOW - 60 * MIN,
            label="negative",
            kind="mention",
            engagement=(100, 20, 30),
            flags=MISINFO,
        ),
        stream.add(
            NOW - 30 * MIN, label="negative", kind="mention", engagement=(40, 5, 5), flags=MISINFO
        ),
        stream.add(NOW + 30 * MIN, label="negative", kind="mention"),
    ]
    stream.add(NOW + 2 * HOUR, label="positive", rating=5)  # unlinked, during
    # after [19:00, 01:00)
    stream.add(NOW + 5 * HOUR, label="positive", rating=5)
    stream.add(NOW + 7 * HOUR, label="neutral", rating=3)
    stream.add(NOW + 11 * HOUR, label="negative", rating=1)  # after the after window
    incident = Incident.objects.create(
        kind="surge",
        title="Negative surge: 4 in 2 hours",
        severity="high",
        trigger={
            "kind": "surge",
            "explanation": "4 negative mentions in 2 hours against 0.3 expected.",
            "numbers": {"count": 4, "window_minutes": 120},
        },
        opened_at=NOW,
        last_detected_at=NOW,
    )
    IncidentMention.objects.bulk_create(
        [IncidentMention(incident=incident, review=r, added_at=NOW) for r in linked]
    )
    incident_acknowledge(incident_id=incident.pk, actor=acting("Sam"), now=NOW + 12 * MIN)
    # public replies: to the big false claim at 15:40, to the last mention at 16:30
    for review, at in ((linked[1], NOW + 40 * MIN), (linked[3], NOW + 90 * MIN)):
        ReplyDraft.objects.create(
            review=review, status="published", published_at=at, author_label="user:1", version=1
        )
    # a statement from the incident published at 17:00; one drafted and never published; one
    # published that is not the incident's
    for title, at, mine in (
        ("About the rumour", NOW + 2 * HOUR, True),
        ("Draft only", None, True),
        ("Holiday hours", NOW + HOUR, False),
    ):
        statement = Statement.objects.create(
            title=title,
            status="published" if at else "draft",
            published_at=at,
            is_pinned=bool(at),
            author_label="user:1",
            version=1,
        )
        if mine:
            IncidentStatement.objects.create(incident=incident, statement=statement, added_at=NOW)
    return incident, linked


def resolved_anyway(incident, capture, *, at=None):
    """`incident` resolved anyway by Sam at `at` (default: four hours after NOW), with its
    on-commit work captured, not run (`capture`: django_capture_on_commit_callbacks); re-read."""
    with capture(execute=False):
        incident_status_set(
            incident_id=incident.pk,
            status="resolved",
            override_reason=ANYWAY,
            actor=acting("Sam"),
            now=at or NOW + 4 * HOUR,
        )
    incident.refresh_from_db()
    return incident


@pytest.fixture
def incident(stream):
    """An open incident of clinic A: a watch word ("outbreak") in one negative mention, five
    minutes before NOW. A test module with its own `incident` fixture uses that one."""
    detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
    stream.add(NOW - 5 * MIN, label="negative", text="Measles outbreak at the clinic")
    [incident] = detectors_run(now=NOW, notify=False)
    return incident
