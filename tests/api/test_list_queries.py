"""Every list endpoint of the API answers in a number of queries that does not grow with the
rows it lists: the same count for one row as for five (no N+1 behind a serializer field).

Each case adds rows the way the API's users do (its own POST endpoints, or the service other
apps call), asks once to warm per-process caches, counts the queries of a list with one row,
then lists five rows under `django_assert_num_queries` with that count."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts import credentials
from clinics.services import clinic_create
from crisis.models import Incident
from feeds.models import Review
from responses.models import OutboxItem
from scoring.models import ReviewScore
from tests.fixtures.rows import scores_add
from webhooks.services import subscription_create, webhook_event_emit
from webhooks.tasks import delivery_attempt_task

CLINIC = "/clinics/clinic-a/api/v1/"
PUBLIC = "/api/v1/"
# The compliance guard lets this reply through (tests/responses/conftest.py).
OK_TEXT = (
    "Thank you for telling us, Sam. We are sorry about the wait. Please call us at "
    "+1 555 0100 so we can look into it."
)
_numbers = itertools.count(1)


@dataclass
class World:
    """Clients of the test world's people and keys, and what the cases made so far."""

    clinic: object
    agency: object
    clients: dict[str, Client]
    made: dict = field(default_factory=dict)

    def post(self, who: str, path: str, data: dict, status: int = 201) -> dict:
        url = path if path.startswith("/") else CLINIC + path
        response = self.clients[who].post(url, data, content_type="application/json")
        assert response.status_code == status, (url, response.status_code, response.content)
        return response.json() if response.content else {}

    def reviews(self, n: int, *, rating: int = 2) -> list[int]:
        items = [
            {
                "source": "google",
                "external_id": f"q-{next(_numbers)}",
                "author": "Sam R.",
                "rating": rating,
                "text": "Waited over an hour and nobody told us why.",
                "published_at": (timezone.now() - timedelta(hours=2)).isoformat(),
            }
            for _ in range(n)
        ]
        answer = self.post("key_a", "reviews/ingest/", {"items": items}, status=200)
        return [result["id"] for result in answer["results"]]

    def draft(self) -> int:
        if "draft" not in self.made:
            [review] = self.reviews(1)
            body = {"review_id": review, "text": OK_TEXT}
            self.made["draft"] = self.post("alpha_writer", "drafts/", body)["id"]
        return self.made["draft"]

    def incident(self) -> int:
        if "incident" not in self.made:
            _incidents(self, 1)
            with schema_context(self.clinic.schema_name):
                self.made["incident"] = Incident.objects.latest("id").pk
        return self.made["incident"]

    def subscription(self) -> int:
        if "subscription" not in self.made:
            with schema_context(self.clinic.schema_name):
                made, _ = subscription_create(
                    url="http://127.0.0.1:9/hook", events=["incident.opened"]
                )
            self.made["subscription"] = made.pk
        return self.made["subscription"]


def _sources(w: World, n: int) -> None:
    for _ in range(n):
        body = {"kind": "webhook", "name": f"Survey {next(_numbers)}"}
        w.post("alpha_manager", "sources/", body)


def _scores(w: World, n: int) -> None:
    ids = w.reviews(n)
    with schema_context(w.clinic.schema_name):
        scores_add(
            ReviewScore(review_id=pk, model_version="test", label="negative", score=-0.8)
            for pk in ids
        )


def _clinic_keys(w: World, n: int) -> None:
    for _ in range(n):
        w.post("alpha_owner", "api-keys/", {"name": f"CRM {next(_numbers)}", "scopes": ["read"]})


def _agency_keys(w: World, n: int) -> None:
    for _ in range(n):
        body = {"name": f"BI {next(_numbers)}", "scopes": ["read"]}
        w.post("alpha_owner", f"{PUBLIC}api-keys/", body)


def _clinics(w: World, n: int) -> None:
    for _ in range(n):
        number = next(_numbers)
        clinic_create(agency=w.agency, name=f"Listed {number}", slug=f"listed-{number}")


def _webhooks(w: World, n: int) -> None:
    for _ in range(n):
        body = {"url": f"http://127.0.0.1:9/h{next(_numbers)}", "events": ["incident.opened"]}
        w.post("alpha_manager", "webhooks/", body)


def _deliveries(w: World, n: int) -> None:
    w.subscription()
    with schema_context(w.clinic.schema_name):
        for _ in range(n):
            webhook_event_emit(event="incident.opened", payload={"incident": {"id": 1}})


def _incidents(w: World, n: int) -> None:
    now = timezone.now()
    with schema_context(w.clinic.schema_name):
        for _ in range(n):
            Incident.objects.create(
                kind="watch_word",
                key=f"word-{next(_numbers)}",
                title="Watch word",
                severity="medium",
                opened_at=now,
                last_detected_at=now,
            )


def _templates(w: World, n: int) -> None:
    for _ in range(n):
        number = next(_numbers)
        body = {
            "key": f"apology-{number}",
            "name": f"Apology {number}",
            "category": "apology",
            "body": "We are sorry your visit started late. {contact_line}",
        }
        w.post("alpha_manager", "reply-templates/", body)


def _facts(w: World, n: int) -> None:
    for _ in range(n):
        body = {
            "title": f"Parking {next(_numbers)}",
            "statement": "Free parking is behind the building, entrance on Elm Street.",
            "source": "Facilities team",
            "verified_on": "2026-09-15",
        }
        w.post("alpha_manager", "facts/", body)


def _thank_you_drafts(w: World, n: int) -> None:
    for review in w.reviews(n, rating=5):
        w.post("alpha_writer", "drafts/", {"review_id": review, "text": OK_TEXT})


def _drafts(w: World, n: int) -> None:
    for review in w.reviews(n):
        w.post("alpha_writer", "drafts/", {"review_id": review, "text": OK_TEXT})


def _draft_edits(w: World, n: int) -> None:
    draft = w.draft()
    for _ in range(n):
        url = f"{CLINIC}drafts/{draft}/"
        body = {"text": f"{OK_TEXT} ({next(_numbers)})"}
        response = w.clients["alpha_writer"].patch(url, body, content_type="application/json")
        assert response.status_code == 200, response.content


def _statements(w: World, n: int) -> None:
    for _ in range(n):
        body = {
            "title": f"About the rumour {next(_numbers)}",
            "body": "There is no measles case at our clinic. Questions: +1 555 0100.",
        }
        w.post("alpha_writer", "statements/", body)


def _incident_statements(w: World, n: int) -> None:
    for _ in range(n):
        body = {"title": f"About the rumour {next(_numbers)}", "body": "There is no outbreak."}
        w.post("alpha_writer", f"incidents/{w.incident()}/statements/", body)


def _conversations(w: World, n: int) -> None:
    for review in w.reviews(n):
        body = {"channel": "phone", "notes": "Left a voicemail."}
        w.post("key_a", f"reviews/{review}/private-conversations/", body)


def _outbox(w: World, n: int) -> None:
    ids = w.reviews(n)
    with schema_context(w.clinic.schema_name):
        for review in Review.objects.filter(pk__in=ids):
            OutboxItem.objects.create(
                kind="reply",
                idempotency_key=f"q-{next(_numbers)}",
                source_id=review.source_id,
                review=review,
                text=OK_TEXT,
            )


def _approvals(w: World, n: int) -> None:
    for review in w.reviews(n):
        draft = w.post("alpha_writer", "drafts/", {"review_id": review, "text": OK_TEXT})["id"]
        w.post("alpha_writer", f"drafts/{draft}/submit/", {}, status=200)
        w.post("alpha_manager", f"drafts/{draft}/approve/", {}, status=200)


@dataclass(frozen=True)
class ListCase:
    path: str | Callable[[World], str]  # under the clinic's API unless it starts with "/"
    reader: str  # an API key or a person of the test world
    add: Callable[[World, int], None]  # adds n rows the list shows

    def url(self, world: World) -> str:
        path = self.path(world) if callable(self.path) else self.path
        return path if path.startswith("/") else CLINIC + path


CASES = {
    "clinics": ListCase(f"{PUBLIC}clinics/", "key_alpha", _clinics),
    "agency-api-keys": ListCase(f"{PUBLIC}api-keys/", "alpha_owner", _agency_keys),
    "reviews": ListCase("reviews/", "key_a", lambda w, n: w.reviews(n)),
    "scores": ListCase("scores/", "key_a", _scores),
    "sources": ListCase("sources/", "key_a", _sources),
    "api-keys": ListCase("api-keys/", "alpha_owner", _clinic_keys),
    "webhooks": ListCase("webhooks/", "alpha_manager", _webhooks),
    "webhook-deliveries": ListCase(
        lambda w: f"webhooks/{w.subscription()}/deliveries/", "alpha_manager", _deliveries
    ),
    "incidents": ListCase("incidents/", "key_a", _incidents),
    "reply-templates": ListCase("reply-templates/", "key_a", _templates),
    "facts": ListCase("facts/", "key_a", _facts),
    "drafts": ListCase("drafts/", "key_a", _drafts),
    # a 5-star review's reply has a clock only if its score is negative: read with the list
    "drafts-of-thank-yous": ListCase("drafts/", "key_a", _thank_you_drafts),
    "draft-audit": ListCase(lambda w: f"drafts/{w.draft()}/audit/", "key_a", _draft_edits),
    "audit": ListCase("audit/?object_type=reply", "key_a", _drafts),
    # one row per approval (each also lists its submission, which `decision` leaves out)
    "approvals-log": ListCase("approvals-log/?decision=approved", "alpha_owner", _approvals),
    "statements": ListCase("statements/", "key_a", _statements),
    "incident-statements": ListCase(
        lambda w: f"incidents/{w.incident()}/statements/", "key_a", _incident_statements
    ),
    "private-conversations": ListCase("private-conversations/", "key_a", _conversations),
    "outbox": ListCase("outbox/", "key_a", _outbox),
}


@pytest.fixture
def list_world(world, login, api, settings, monkeypatch) -> World:
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    monkeypatch.setattr(delivery_attempt_task, "apply_async", lambda *a, **k: None)
    clients = {name: api(name) for name in ("key_a", "key_alpha")}
    clients |= {name: login(name) for name in ("alpha_owner", "alpha_manager", "alpha_writer")}
    return World(clinic=world.clinics["a"], agency=world.agencies["alpha"], clients=clients)


def _rows(response) -> int:
    assert response.status_code == 200, response.content
    body = response.json()
    return len(body["results"] if isinstance(body, dict) else body)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_list_queries_do_not_grow_with_rows(
    case, list_world, django_assert_num_queries, monkeypatch
):
    # a key's `last_used_at` is written at most once a minute: on a loaded machine that minute
    # could end between the two measured requests and add an UPDATE to one of them
    monkeypatch.setattr(credentials, "_LAST_USED_RESOLUTION", timedelta(days=1))
    # given a list with one row, asked once already (per-process caches are warm)
    case.add(list_world, 1)
    client = list_world.clients[case.reader]
    listed_before = _rows(client.get(case.url(list_world)))
    with CaptureQueriesContext(connection) as one_row:
        assert _rows(client.get(case.url(list_world))) == listed_before
    queries = len(one_row)

    # when four more rows are listed
    case.add(list_world, 4)
    with django_assert_num_queries(queries):
        listed = _rows(client.get(case.url(list_world)))

    # then the same queries fetched them all
    assert listed == listed_before + 4
