"""Every operation of the OpenAPI document, driven once through the API against the test world,
in the order an integrator would meet them. What each call sent and got back is the example the
API docs show (core/schema.py injects docs/api-examples.json into the generated schema).

`UPDATE_API_EXAMPLES=1 pytest tests/api/test_examples.py` rewrites docs/api-examples.json from
this run. Without it, the test checks that the committed file has an example for every operation
of the current schema, that its examples still have the shape the API answers with today, nested
fields included, and that they name the codes and words it answers with today (a new endpoint, a
serializer that gains or loses a field, a renamed refusal code or a reworded role fails until the
examples are refreshed)."""

from __future__ import annotations

import json
import os
import re
import socket
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test.client import MULTIPART_CONTENT
from django.urls import resolve
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft202012Validator, FormatChecker

from core.schema import EXAMPLES_FILE, shape_of
from crisis.models import ReviewQuestion
from crisis.services import detectors_run
from facts.models import Fact
from feeds.models import Review
from offboarding.exports import export_run
from responses.models import OutboxItem
from responses.tasks import outbox_deliver_task
from scoring.claims.services import claims_cluster
from scoring.ml.engine import default_model_version
from scoring.services import scores_write
from tests.crisis.fake_chat import FakeChat
from tests.facts.helpers import fill_in
from tests.fixtures.browser import totp_now

CLINIC = "/clinics/clinic-a/api/v1"
PUBLIC = "/api/v1"
METHODS = ("get", "post", "put", "patch", "delete")
LIST_ITEMS_KEPT = 2
TEXT_KEPT = 1500
MODEL = default_model_version()  # the shipped model (scoring/ml/artifacts/model_card.json)
# The guard's verdicts on these texts are known (tests/responses/conftest.py).
OK_TEXT = (
    "Thank you for telling us, Sam. We are sorry about the wait. Please call us at "
    "+1 555 0100 so we can look into it."
)
BLOCK_TEXT = "Thank you. We reviewed your chart and everything was fine."


def openapi_schema() -> dict:
    return SchemaGenerator(urlconf="config.urls_openapi").get_schema(request=None, public=True)


def schema_operations(schema: dict) -> set[str]:
    return {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in METHODS
    }


def _json_schema(node):
    """OpenAPI 3.0's `nullable` as JSON Schema's null type."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


_formats = FormatChecker(["email", "date"])


@_formats.checks("uri")
def _is_uri(value) -> bool:
    parts = urlsplit(value) if isinstance(value, str) else None
    return parts is None or bool(parts.scheme and parts.netloc)


def schema_mismatches(schema: dict, recorded: dict[str, dict]) -> list[str]:
    """Where a recorded request or answer does not match what the document says."""
    components = _json_schema({"components": schema["components"]})
    found = []

    def check(where: str, media: dict, value) -> None:
        if "schema" not in media:
            return
        validator = Draft202012Validator(
            {**components, **_json_schema(media["schema"])}, format_checker=_formats
        )
        found.extend(
            f"{where} {list(error.absolute_path)}: {error.message[:300]}"
            for error in validator.iter_errors(value)
        )

    for name, example in recorded.items():
        method, path = name.split(" ", 1)
        operation = schema["paths"][path][method.lower()]
        body = operation.get("requestBody", {}).get("content", {})
        if "request" in example and "application/json" in body:
            check(f"{name} request", body["application/json"], example["request"])
        for status, answer in example["responses"].items():
            if "body" not in answer:
                continue
            content = operation["responses"].get(status, {}).get("content", {})
            media_type = answer.get("content_type", "application/json")
            if media_type not in content:
                found.append(f"{name} {status}: {media_type} is not documented")
                continue
            check(f"{name} {status}", content[media_type], answer["body"])
    return found


def _template(path: str) -> str:
    """The OpenAPI path of a request path: /clinics/clinic-a/api/v1/drafts/7/ ->
    /clinics/{clinic}/api/v1/drafts/{draft_id}/."""
    route = resolve(path, urlconf="config.urls_openapi").route
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def _trimmed(value):
    """Lists cut to their first two items and very long texts cut, so that the docs stay
    readable; everything else exactly as the API answered."""
    if isinstance(value, dict):
        return {key: _trimmed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_trimmed(item) for item in value[:LIST_ITEMS_KEPT]]
    if isinstance(value, str) and len(value) > TEXT_KEPT:
        return value[:TEXT_KEPT] + "…"
    return value


class Recorder:
    """Makes each call, asserts its status and keeps, per operation, the first request body
    and the first answer for each status."""

    def __init__(self):
        self.operations: dict[str, dict] = {}

    def call(self, client, method, url, body=None, *, status, headers=None, multipart=None):
        kwargs = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()}
        if multipart is not None:
            files = {name: upload.file for name, upload in multipart.items()}
            response = client.post(url, files, content_type=MULTIPART_CONTENT, **kwargs)
        elif body is None:
            response = getattr(client, method)(url, **kwargs)
        else:
            response = getattr(client, method)(
                url, json.dumps(body), content_type="application/json", **kwargs
            )
        assert response.status_code == status, (method, url, response.content[:3000])
        parts = urlsplit(url)
        key = f"{method.upper()} {_template(parts.path)}"
        operation = self.operations.setdefault(key, {"responses": {}})
        sent = body
        if multipart is not None:
            sent = {name: upload.example for name, upload in multipart.items()}
        if sent is not None and status < 400:
            operation.setdefault("request", _trimmed(sent))
        if str(status) not in operation["responses"]:
            answer = {"call": f"{method.upper()} {url}"}
            if status == 400 and sent is not None:
                answer["request"] = _trimmed(sent)
            content_type = response.get("Content-Type", "")
            if content_type.startswith("application/json"):
                answer["body"] = _trimmed(response.json())
            elif content_type.startswith("text/"):
                answer["content_type"] = content_type.split(";")[0]
                text = response.content.decode()  # a whole document, unless it is huge
                answer["body"] = text if len(text) <= 50_000 else _trimmed(text)
            operation["responses"][str(status)] = answer
        return (
            response.json()
            if response.get("Content-Type", "").startswith("application/json")
            else response
        )


class _Upload:
    """A CSV file for a multipart upload; its text is what the docs show."""

    def __init__(self, name: str, text: str):
        from django.core.files.uploadedfile import SimpleUploadedFile

        self.file = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
        self.example = text


@pytest.fixture
def public_hook_host(monkeypatch):
    """hooks.example.com resolves to a public address (the SSRF guard resolves webhook
    targets; nothing is sent in this test: delivery is a worker's job)."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host == "hooks.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port or 443))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def _in_clinic(clinic, fn):
    with schema_context(clinic.schema_name):
        return fn()


def drive_every_operation(world, login, api) -> dict[str, dict]:  # noqa: PLR0915 - one story
    rec = Recorder()
    clinic = world.clinics["a"]
    key_a, key_alpha, anonymous = api("key_a"), api("key_alpha"), api(None)
    owner, manager, writer = login("alpha_owner"), login("alpha_manager"), login("alpha_writer")
    approver, legal = login("a_approver"), login("a_legal")
    now = timezone.now().replace(microsecond=0)

    def iso(delta: timedelta) -> str:
        return (now - delta).isoformat().replace("+00:00", "Z")

    # --- credentials and clinics ---------------------------------------------------------
    rec.call(anonymous, "post", f"{PUBLIC}/auth/token/", {"email": "x"}, status=400)
    rec.call(
        anonymous,
        "post",
        f"{PUBLIC}/auth/token/",
        {
            "email": "writer@alpha.test",
            "password": "correct horse battery staple",
            "name": "Reporting script",
            "otp": totp_now(TOTPDevice.objects.get(user=world.users["alpha_writer"])),
        },
        status=201,
    )
    token = rec.call(writer, "get", f"{PUBLIC}/auth/tokens/", status=200)["results"][0]
    rec.call(writer, "delete", f"{PUBLIC}/auth/tokens/{token['id']}/", status=204)
    rec.call(key_alpha, "get", f"{PUBLIC}/clinics/", status=200)
    # clinics are created by an owner or manager (signed in or with a personal token), never a key
    rec.call(manager, "post", f"{PUBLIC}/clinics/", {"name": "", "slug": "a b"}, status=400)
    rec.call(
        manager,
        "post",
        f"{PUBLIC}/clinics/",
        {
            "name": "Riverside Family Practice",
            "slug": "riverside",
            "timezone": "America/Chicago",
            "specialties": ["family medicine", "paediatrics"],
            "phone": "+1 555 0142",
            "email": "front-desk@riverside.example",
            "contact_url": "https://riverside.example/contact",
            "reply_target_minutes": 720,
        },
        status=201,
    )
    rec.call(key_a, "get", f"{CLINIC}/me/", status=200)

    # --- sources, reviews, imports ---------------------------------------------------------
    rec.call(manager, "post", f"{CLINIC}/sources/", {"kind": "fax"}, status=400)
    source = rec.call(
        manager,
        "post",
        f"{CLINIC}/sources/",
        {"kind": "webhook", "name": "Patient survey tool", "poll_interval_minutes": 60},
        status=201,
    )
    rec.call(key_a, "get", f"{CLINIC}/sources/", status=200)
    rec.call(key_a, "get", f"{CLINIC}/sources/{source['id']}/", status=200)
    rec.call(
        manager,
        "patch",
        f"{CLINIC}/sources/{source['id']}/",
        {"poll_interval_minutes": 0},
        status=400,
    )
    rec.call(
        manager,
        "patch",
        f"{CLINIC}/sources/{source['id']}/",
        {"name": "Post-visit survey", "enabled": True},
        status=200,
    )
    rec.call(key_a, "post", f"{CLINIC}/reviews/ingest/", [], status=400)
    items = [
        {
            "source": "google",
            "external_id": "ChdDSUhNMG9nS0VJQ0FnSURXdnV2X2R3EAE",
            "author_name": "Sam R.",
            "rating": 2,
            "text": "Waited over an hour past my appointment and nobody told us why.",
            "published_at": iso(timedelta(hours=3)),
            "url": "https://g.page/r/riverside/review",
        },
        {
            "source": "yelp",
            "external_id": "yelp-Gq7mX2",
            "author_name": "Dana K.",
            "rating": 1,
            "text": "Front desk was rude and the bill was wrong twice.",
            "published_at": iso(timedelta(hours=2)),
        },
        {
            "source": "google",
            "external_id": "ChdDSUhNMG9nS0VJQ0FnSURXdnV2X2R3EAI",
            "author_name": "Lee M.",
            "rating": 3,
            "text": "Nice nurse, but the parking is impossible.",
            "published_at": iso(timedelta(hours=1)),
        },
        {
            "source": "google",
            "external_id": "ChdDSUhNMG9nS0VJQ0FnSURXdnV2X2R3EAM",
            "author_name": "Jo P.",
            "rating": 2,
            "text": "Still waiting for my test results after two weeks.",
            "published_at": iso(timedelta(minutes=50)),
        },
        {
            "source": "facebook",
            "external_id": "1029384756_5647382910",
            "author_name": "Chris T.",
            "rating": None,
            "text": "Heard there is a measles outbreak at this clinic, is that true??",
            "published_at": iso(timedelta(minutes=20)),
            "likes": 41,
            "shares": 12,
            "replies": 9,
            "kind": "mention",
        },
    ]
    ingested = rec.call(
        key_a,
        "post",
        f"{CLINIC}/reviews/ingest/",
        {"items": items},
        status=200,
        headers={"Idempotency-Key": "batch-2026-11-29-0001"},
    )
    assert ingested["counts"]["rejected"] == 0, ingested
    review_ids = [result["id"] for result in ingested["results"]]
    late, rude, parking, results_wait, outbreak = review_ids

    def score_all():
        reviews = Review.objects.filter(pk__in=review_ids)
        negative = {late, rude, results_wait, outbreak}

        class Result:
            def __init__(self, review):
                bad = review.pk in negative
                self.model_version = MODEL
                self.label = "negative" if bad else "neutral"
                self.score = -0.87 if bad else 0.08
                self.confidence = 0.93 if bad else 0.61
                self.topics = (
                    [{"name": "wait_time", "triggers": ["waited", "hour"]}]
                    if review.pk == late
                    else []
                )
                self.flags = (
                    [{"name": "misinformation", "evidence": ["measles outbreak"]}]
                    if review.pk == outbreak
                    else []
                )

        scores_write(results=[(review.pk, Result(review)) for review in reviews])

    _in_clinic(clinic, score_all)
    rec.call(key_a, "get", f"{CLINIC}/reviews/?rating=9", status=400)
    rec.call(key_a, "get", f"{CLINIC}/reviews/?rating_max=3&sentiment=negative", status=200)
    rec.call(key_a, "get", f"{CLINIC}/reviews/{late}/", status=200)
    rec.call(key_a, "get", f"{CLINIC}/scores/?sentiment=angry", status=400)
    rec.call(key_a, "get", f"{CLINIC}/scores/?sentiment=negative", status=200)
    rec.call(key_a, "get", f"{CLINIC}/reviews/{late}/suggestion/", status=200)
    rec.call(key_a, "post", f"{CLINIC}/imports/", status=400, multipart={})
    csv_text = (
        "source,external_id,author,rating,text,published_at\n"
        "healthgrades,hg-88213,Morgan,5,Dr. Patel listened and explained everything.,"
        "2026-11-20T09:30:00Z\n"
        "healthgrades,hg-88214,Riley,4,Short wait and friendly staff.,2026-11-21T16:05:00Z\n"
    )
    upload = _Upload("healthgrades-november.csv", csv_text)
    job = rec.call(key_a, "post", f"{CLINIC}/imports/", status=202, multipart={"file": upload})
    rec.call(key_a, "get", f"{CLINIC}/imports/", status=200)
    rec.call(key_a, "get", f"{CLINIC}/imports/{job['id']}/", status=200)

    # --- the library: facts, templates, settings, the guard --------------------------------
    rec.call(manager, "post", f"{CLINIC}/facts/", {"title": "Flu shots"}, status=400)
    fact = rec.call(
        manager,
        "post",
        f"{CLINIC}/facts/",
        {
            "slug": "flu-shots",
            "title": "Flu shots",
            "statement": "Walk-in flu shots are available Monday to Friday, 8 am to 5 pm.",
            "source": "Clinic operations manual, section 4",
            "source_url": "https://riverside.example/flu",
            "verified_on": "2026-10-01",
            "topics": ["vaccination"],
        },
        status=201,
    )
    rec.call(key_a, "get", f"{CLINIC}/facts/", status=200)
    rec.call(key_a, "get", f"{CLINIC}/facts/{fact['id']}/", status=200)
    rec.call(manager, "patch", f"{CLINIC}/facts/{fact['id']}/", {"verified_on": "soon"}, status=400)
    rec.call(
        manager,
        "patch",
        f"{CLINIC}/facts/{fact['id']}/",
        {"statement": "Walk-in flu shots are available Monday to Saturday, 8 am to 5 pm."},
        status=200,
    )
    spare = rec.call(
        manager,
        "post",
        f"{CLINIC}/facts/",
        {
            "title": "Parking",
            "statement": "Free parking is behind the building, entrance on Elm Street.",
            "source": "Facilities team",
            "verified_on": "2026-09-15",
        },
        status=201,
    )
    rec.call(manager, "delete", f"{CLINIC}/facts/{spare['id']}/", status=204)
    rec.call(key_a, "get", f"{CLINIC}/facts/{fact['id']}/versions/", status=200)
    rec.call(
        manager, "post", f"{CLINIC}/facts/{fact['id']}/versions/1/restore/",
        {"expected_version": 0}, status=400,
    )  # fmt: skip
    rec.call(
        manager, "post", f"{CLINIC}/facts/{fact['id']}/versions/1/restore/",
        {"expected_version": 2}, status=200,
    )  # fmt: skip
    needles = rec.call(
        manager, "post", f"{CLINIC}/facts/",
        {"slug": "needles-policy", "title": "Needles", "status": "draft",
         "statement": "Every needle we use is single-use and sealed until it is opened."},
        status=201,
    )  # fmt: skip
    rec.call(
        manager, "post", f"{CLINIC}/facts/{needles['id']}/confirm/", {"statement": ""}, status=400
    )
    rec.call(
        manager, "post", f"{CLINIC}/facts/{needles['id']}/confirm/",
        {"source": "Infection-control policy, section 2", "expected_version": 1}, status=200,
    )  # fmt: skip
    # the clinic attests its own facts: ask its approvers to confirm drafts
    with schema_context(world.clinics["a"].schema_name):
        licences = Fact.objects.get(slug="licences").pk
        fill_in("licences")  # the clinic's own words: a default as suggested is never asked
    rec.call(
        manager, "post", f"{CLINIC}/facts/ask-clinic/", {"fact_ids": [licences, needles["id"]]},
        status=400,
    )  # fmt: skip
    rec.call(manager, "post", f"{CLINIC}/facts/ask-clinic/", {"fact_ids": [licences]}, status=200)
    rec.call(key_a, "get", f"{CLINIC}/reply-templates/?category=thank", status=200)
    rec.call(manager, "post", f"{CLINIC}/reply-templates/", {"key": "has spaces"}, status=400)
    template = rec.call(
        manager,
        "post",
        f"{CLINIC}/reply-templates/",
        {
            "key": "wait-time-apology",
            "name": "Long wait: apology",
            "category": "apology",
            "body": "We are sorry your visit started late. {contact_line}",
        },
        status=201,
    )
    rec.call(
        manager,
        "patch",
        f"{CLINIC}/reply-templates/{template['id']}/",
        {"category": "sorry"},
        status=400,
    )
    rec.call(
        manager,
        "patch",
        f"{CLINIC}/reply-templates/{template['id']}/",
        {"body": "We are sorry your visit started late, {clinic_name} is on it. {contact_line}"},
        status=200,
    )
    rec.call(key_a, "get", f"{CLINIC}/reply-templates/{template['id']}/", status=200)
    rec.call(key_a, "get", f"{CLINIC}/reply-settings/", status=200)
    rec.call(
        manager, "patch", f"{CLINIC}/reply-settings/", {"staff_names": "Dr. Patel"}, status=400
    )
    # switching an approval step off takes the agency owner and a reason
    rec.call(
        owner,
        "patch",
        f"{CLINIC}/reply-settings/",
        {
            "staff_names": ["Dr. Priya Patel", "Nurse Alex Moreno"],
            "allow_reviewer_name": True,
            "clinician_review_on_health_detail": False,
            "reason": "The clinic's medical director reviews health details before they reach us.",
        },
        status=200,
    )
    rec.call(key_a, "post", f"{CLINIC}/compliance/check/", {"review_id": 0}, status=400)
    rec.call(key_a, "post", f"{CLINIC}/compliance/fix/", {"text": "x", "start": 3}, status=400)
    rec.call(
        key_a,
        "post",
        f"{CLINIC}/compliance/fix/",
        {"text": f"Hi Sam, we are sorry. {BLOCK_TEXT}", "review_id": late},
        status=200,
    )
    rec.call(
        key_a,
        "post",
        f"{CLINIC}/compliance/check/",
        {"text": BLOCK_TEXT, "review_id": late},
        status=200,
    )

    # --- webhooks (subscribed before the events below, so deliveries get logged) ----------
    rec.call(
        manager,
        "post",
        f"{CLINIC}/webhooks/",
        {"url": "https://hooks.example.com/carewatch", "events": ["review.liked"]},
        status=400,
    )
    hook = rec.call(
        manager,
        "post",
        f"{CLINIC}/webhooks/",
        {
            "url": "https://hooks.example.com/carewatch",
            "events": ["reply.approved", "reply.published", "incident.opened"],
            "description": "CRM sync",
        },
        status=201,
    )

    # --- reply drafts through the approval workflow -----------------------------------------
    rec.call(writer, "post", f"{CLINIC}/drafts/", {"text": "Thanks!"}, status=400)
    draft = rec.call(
        writer, "post", f"{CLINIC}/drafts/", {"review_id": late, "text": OK_TEXT}, status=201
    )
    rec.call(
        writer,
        "patch",
        f"{CLINIC}/drafts/{draft['id']}/",
        {"text": OK_TEXT, "expected_version": 0},
        status=400,
    )
    rec.call(
        writer,
        "patch",
        f"{CLINIC}/drafts/{draft['id']}/",
        {"text": OK_TEXT + " We have added a second nurse on Mondays.", "expected_version": 1},
        status=200,
    )
    rec.call(
        writer,
        "post",
        f"{CLINIC}/drafts/{draft['id']}/submit/",
        {"expected_status": "sent"},
        status=400,
    )
    rec.call(
        writer,
        "post",
        f"{CLINIC}/drafts/{draft['id']}/submit/",
        {"expected_status": "draft", "expected_version": 2},
        status=200,
    )
    rec.call(
        manager,
        "post",
        f"{CLINIC}/drafts/{draft['id']}/approve/",
        {"expected_version": "two"},
        status=400,
    )
    rec.call(
        manager,
        "post",
        f"{CLINIC}/drafts/{draft['id']}/approve/",
        {"expected_status": "pending_agency", "expected_version": 2, "comment": "Good tone."},
        status=200,
    )
    # the manager takes their approval back before the clinic acts (the writer, who gives no
    # approval step, may not: 403), then gives it again
    rec.call(writer, "post", f"{CLINIC}/drafts/{draft['id']}/take-back/", status=403)
    rec.call(
        manager, "post", f"{CLINIC}/drafts/{draft['id']}/take-back/",
        {"expected_version": "two"}, status=400,
    )  # fmt: skip
    rec.call(
        manager, "post", f"{CLINIC}/drafts/{draft['id']}/take-back/",
        {"expected_status": "pending_client", "expected_version": 2,
         "comment": "One more look at the opening."},
        status=200,
    )  # fmt: skip
    rec.call(
        manager, "post", f"{CLINIC}/drafts/{draft['id']}/approve/",
        {"expected_status": "pending_agency", "expected_version": 2}, status=200,
    )  # fmt: skip
    # the clinic's approver has not looked yet: the writer reminds them, once per half hour
    rec.call(
        writer, "post", f"{CLINIC}/drafts/{draft['id']}/remind/", {"note": "Today, please"},
        status=400,
    )  # fmt: skip
    rec.call(
        writer,
        "post",
        f"{CLINIC}/drafts/{draft['id']}/remind/",
        {"expected_status": "pending_client", "expected_version": 2},
        status=200,
    )
    rec.call(writer, "post", f"{CLINIC}/drafts/{draft['id']}/remind/", status=409)
    rec.call(
        approver,
        "post",
        f"{CLINIC}/drafts/{draft['id']}/approve/",
        {"expected_status": "pending_client", "expected_version": 2},
        status=200,
    )
    rec.call(key_a, "get", f"{CLINIC}/drafts/{draft['id']}/", status=200)
    rec.call(key_a, "get", f"{CLINIC}/drafts/{draft['id']}/audit/", status=200)

    second = rec.call(
        writer, "post", f"{CLINIC}/drafts/", {"review_id": parking}, status=201
    )  # from the suggested template
    rec.call(writer, "post", f"{CLINIC}/drafts/{second['id']}/submit/", {}, status=200)
    rec.call(manager, "post", f"{CLINIC}/drafts/{second['id']}/reject/", {}, status=400)
    rec.call(
        manager,
        "post",
        f"{CLINIC}/drafts/{second['id']}/reject/",
        {
            "expected_status": "pending_agency",
            "comment": "Please mention the free parking behind the building.",
        },
        status=200,
    )
    rec.call(writer, "post", f"{CLINIC}/drafts/{second['id']}/discard/", status=200)

    blocked = rec.call(
        writer,
        "post",
        f"{CLINIC}/drafts/",
        {"review_id": results_wait, "text": BLOCK_TEXT},
        status=201,
    )
    rec.call(writer, "post", f"{CLINIC}/drafts/{blocked['id']}/submit/", status=200)  # to legal
    rec.call(legal, "post", f"{CLINIC}/drafts/{blocked['id']}/override/", {}, status=400)
    rec.call(
        legal,
        "post",
        f"{CLINIC}/drafts/{blocked['id']}/override/",
        {
            "reason": "The patient published their own chart details; confirmed with counsel.",
            "expected_version": 1,
        },
        status=200,
    )
    rec.call(key_a, "get", f"{CLINIC}/drafts/?status=sent", status=400)
    rec.call(key_a, "get", f"{CLINIC}/drafts/?pending=false", status=200)

    # --- claims and one answer for many -------------------------------------------------
    claim = "Riverside Family Practice gives out expired flu shots"
    pile = rec.call(
        key_a,
        "post",
        f"{CLINIC}/reviews/ingest/",
        {
            "items": [
                {
                    "source": "facebook",
                    "external_id": f"1029384756_77{i}",
                    "author_name": name,
                    "text": claim if i else f"{claim}, my neighbour says!!",
                    "published_at": iso(timedelta(minutes=15 - i)),
                    "likes": likes,
                    "shares": likes // 4,
                    "kind": "mention",
                }
                for i, (name, likes) in enumerate((("Sam P.", 812), ("Ari L.", 3), ("Kim O.", 1)))
            ]
        },
        status=200,
    )
    pile_ids = [r["id"] for r in pile["results"]]

    def claim_scored():
        contradicts = {
            "kind": "fact",
            "slug": "flu-shots",
            "statement": fact["statement"],
            "similarity": 0.81,
        }

        class Claimed:
            model_version, label, score, confidence, topics = MODEL, "negative", -0.7, 0.9, []
            flags = [
                {"name": "misinformation", "evidence": ["expired flu shots"], "probability": 0.94,
                 "claim": {"text": claim, "start": 0, "end": len(claim)},
                 "contradicts": contradicts}
            ]  # fmt: skip

        scores_write(results=[(pk, Claimed()) for pk in pile_ids])
        claims_cluster(review_ids=pile_ids, embed=None)

    _in_clinic(clinic, claim_scored)
    rec.call(key_a, "get", f"{CLINIC}/claims/?sort=loudest", status=400)
    claims = rec.call(key_a, "get", f"{CLINIC}/claims/?misinformation=true", status=200)
    claim_id = claims["results"][0]["id"]
    rec.call(key_a, "get", f"{CLINIC}/claims/{claim_id}/", status=200)
    rec.call(key_a, "get", f"{CLINIC}/reviews/?flag=rumour", status=400)
    rec.call(
        key_a, "get", f"{CLINIC}/reviews/?cluster={claim_id}&order=reach&page_size=2", status=200
    )
    rec.call(writer, "post", f"{CLINIC}/reply-batches/", {"review_ids": []}, status=400)
    batch = rec.call(
        writer, "post", f"{CLINIC}/reply-batches/", {"cluster_id": claim_id}, status=201
    )
    rec.call(key_a, "get", f"{CLINIC}/reply-batches/?pending=maybe", status=400)
    rec.call(key_a, "get", f"{CLINIC}/reply-batches/", status=200)
    rec.call(key_a, "get", f"{CLINIC}/reply-batches/{batch['id']}/", status=200)
    rec.call(writer, "patch", f"{CLINIC}/reply-batches/{batch['id']}/", {"text": ""}, status=400)
    rec.call(
        writer,
        "patch",
        f"{CLINIC}/reply-batches/{batch['id']}/",
        {
            "text": "{greeting} thank you for asking. Every vaccine we give is checked for its "
            "expiry date before use. Questions? Call us at {contact_line}.",
            "expected_version": 1,
        },
        status=200,
    )
    rec.call(
        writer,
        "delete",
        f"{CLINIC}/reply-batches/{batch['id']}/mentions/{pile_ids[2]}/?expected_version=2",
        status=200,
    )
    rec.call(
        writer, "post", f"{CLINIC}/reply-batches/{batch['id']}/submit/",
        {"expected_version": "three"}, status=400,
    )  # fmt: skip
    rec.call(
        writer, "post", f"{CLINIC}/reply-batches/{batch['id']}/submit/", {"expected_version": 3},
        status=200,
    )  # fmt: skip
    rec.call(manager, "post", f"{CLINIC}/reply-batches/{batch['id']}/approve/", {}, status=400)
    rec.call(
        manager, "post", f"{CLINIC}/reply-batches/{batch['id']}/approve/",
        {"expected_version": 2}, status=409,
    )  # fmt: skip
    rec.call(
        manager, "post", f"{CLINIC}/reply-batches/{batch['id']}/approve/",
        {"expected_version": 3, "comment": "Factual, cites the sheet."}, status=200,
    )  # fmt: skip
    rec.call(
        manager, "post", f"{CLINIC}/reply-batches/{batch['id']}/take-back/", {}, status=400
    )  # fmt: skip
    rec.call(
        manager, "post", f"{CLINIC}/reply-batches/{batch['id']}/take-back/",
        {"expected_version": 3}, status=200,
    )  # fmt: skip
    rec.call(
        manager, "post", f"{CLINIC}/reply-batches/{batch['id']}/approve/",
        {"expected_version": 3}, status=200,
    )  # fmt: skip
    rec.call(
        writer, "post", f"{CLINIC}/reply-batches/{batch['id']}/remind/",
        {"expected_version": "three"}, status=400,
    )  # fmt: skip
    rec.call(
        writer, "post", f"{CLINIC}/reply-batches/{batch['id']}/remind/", {"expected_version": 3},
        status=200,
    )  # fmt: skip
    rec.call(
        approver, "post", f"{CLINIC}/reply-batches/{batch['id']}/reject/", {"expected_version": 3},
        status=400,
    )  # fmt: skip
    rec.call(
        approver, "post", f"{CLINIC}/reply-batches/{batch['id']}/reject/",
        {"expected_version": 3, "comment": "Please add that walk-ins are welcome."}, status=200,
    )  # fmt: skip
    rec.call(writer, "post", f"{CLINIC}/reply-batches/{batch['id']}/discard/", status=200)
    risky = rec.call(
        writer, "post", f"{CLINIC}/reply-batches/",
        {"review_ids": pile_ids[2:], "text": BLOCK_TEXT}, status=201,
    )  # fmt: skip
    rec.call(
        writer, "post", f"{CLINIC}/reply-batches/{risky['id']}/submit/",
        {"expected_version": 1}, status=200,
    )  # fmt: skip
    rec.call(legal, "post", f"{CLINIC}/reply-batches/{risky['id']}/override/", {}, status=400)
    rec.call(
        legal, "post", f"{CLINIC}/reply-batches/{risky['id']}/override/",
        {"reason": "The reviewer published these details themselves; counsel agreed."},
        status=200,
    )  # fmt: skip

    yelp_draft = rec.call(
        writer,
        "post",
        f"{CLINIC}/drafts/",
        {
            "review_id": rude,
            "text": "We are sorry, Dana. Please call +1 555 0100 so we can correct the bill.",
        },
        status=201,
    )
    writer.post(f"{CLINIC}/drafts/{yelp_draft['id']}/submit/", {}, "application/json")
    manager.post(f"{CLINIC}/drafts/{yelp_draft['id']}/approve/", {}, "application/json")
    approver.post(f"{CLINIC}/drafts/{yelp_draft['id']}/approve/", {}, "application/json")

    # --- the outbox: a Yelp reply goes by hand, a Google reply that failed is retried -------
    def items_by_source():
        items = OutboxItem.objects.filter(draft_id__in=[draft["id"], yelp_draft["id"]])
        return {item.source.kind: item.pk for item in items.select_related("source")}

    outbox = _in_clinic(clinic, items_by_source)
    assert _in_clinic(clinic, lambda: outbox_deliver_task(outbox["google"])) == "failed"
    rec.call(key_a, "get", f"{CLINIC}/outbox/?status=lost", status=400)
    rec.call(key_a, "get", f"{CLINIC}/outbox/?status=failed", status=200)
    rec.call(key_a, "get", f"{CLINIC}/outbox/{outbox['yelp']}/", status=200)
    rec.call(
        writer,
        "post",
        f"{CLINIC}/outbox/{outbox['yelp']}/mark-posted/",
        {"url": "not a link"},
        status=400,
    )
    rec.call(
        writer,
        "post",
        f"{CLINIC}/outbox/{outbox['yelp']}/mark-posted/",
        {
            "url": "https://www.yelp.com/biz/riverside-family-practice?hrid=Gq7mX2",
            "note": "Posted from Yelp for Business by Alex",
        },
        status=200,
    )
    # Google is not connected here: trying again cannot work, and says so (409) ...
    rec.call(writer, "post", f"{CLINIC}/outbox/{outbox['google']}/retry/", status=409)
    # ... while one that failed in Google's outage is sent again
    _in_clinic(
        clinic,
        lambda: OutboxItem.objects.filter(pk=outbox["google"]).update(
            failure_kind="transient", last_error="Gave up after 8 attempts: 503 Service Unavailable"
        ),
    )
    rec.call(writer, "post", f"{CLINIC}/outbox/{outbox['google']}/retry/", status=200)

    # --- private follow-up ------------------------------------------------------------------
    rec.call(key_a, "get", f"{CLINIC}/reviews/{rude}/follow-up-channels/", status=200)
    rec.call(
        key_a,
        "post",
        f"{CLINIC}/reviews/{rude}/private-conversations/",
        {"channel": "fax"},
        status=400,
    )
    rec.call(key_a, "post", f"{CLINIC}/reviews/{rude}/private-conversations/", {}, status=400)
    rec.call(
        writer,
        "post",
        f"{CLINIC}/reviews/{rude}/contact-consents/",
        {"channel": "sms", "address": "555-0100", "basis": "asked"},
        status=400,
    )
    consent = rec.call(
        writer,
        "post",
        f"{CLINIC}/reviews/{rude}/contact-consents/",
        {
            "channel": "email",
            "address": "sam.r@example.org",
            "basis": "Called the front desk on 3 Dec and asked us to e-mail her",
        },
        status=201,
    )
    rec.call(writer, "get", f"{CLINIC}/reviews/{rude}/contact-consents/", status=200)
    conversation = rec.call(
        writer,
        "post",
        f"{CLINIC}/reviews/{rude}/private-conversations/",
        {"channel": "email", "due_at": (timezone.now() + timedelta(days=2)).isoformat()},
        status=201,
    )
    rec.call(
        writer,
        "post",
        f"{CLINIC}/reviews/{rude}/private-conversations/",
        {"channel": "phone"},
        status=409,
    )
    rec.call(key_a, "get", f"{CLINIC}/reviews/{rude}/private-conversations/", status=200)
    rec.call(key_a, "get", f"{CLINIC}/private-conversations/?status=invited", status=200)
    rec.call(key_a, "get", f"{CLINIC}/private-conversations/{conversation['id']}/", status=200)
    rec.call(
        writer,
        "post",
        f"{CLINIC}/private-conversations/{conversation['id']}/messages/",
        {"text": ""},
        status=400,
    )
    rec.call(
        writer,
        "post",
        f"{CLINIC}/private-conversations/{conversation['id']}/messages/",
        {"text": "Thank you for your answer. Would Tuesday at 10 suit you for a call?"},
        status=201,
    )
    rec.call(
        writer,
        "post",
        f"{CLINIC}/private-conversations/{conversation['id']}/notes/",
        {"text": "", "from_person": True},
        status=400,
    )
    rec.call(
        writer,
        "post",
        f"{CLINIC}/private-conversations/{conversation['id']}/notes/",
        {"text": "She called back: the bill is corrected.", "from_person": True},
        status=201,
    )
    rec.call(writer, "post", f"{CLINIC}/contact-consents/{consent['id']}/revoke/", status=200)
    rec.call(writer, "post", f"{CLINIC}/contact-consents/{consent['id']}/revoke/", status=409)
    rec.call(
        writer,
        "post",
        f"{CLINIC}/private-conversations/{conversation['id']}/messages/",
        {"text": "One more thing: your refund is on its way."},
        status=422,
    )
    failed = rec.call(
        writer,
        "post",
        f"{CLINIC}/private-conversations/{conversation['id']}/messages/",
        {"text": "Thank you again; we will call on Tuesday as agreed."},
        status=201,
    )
    rec.call(
        writer,
        "post",
        f"{CLINIC}/private-conversations/{conversation['id']}/messages/{failed['id']}/retry/",
        status=200,
    )
    rec.call(
        key_a,
        "patch",
        f"{CLINIC}/private-conversations/{conversation['id']}/",
        {"status": "forgotten"},
        status=400,
    )
    rec.call(
        key_a,
        "patch",
        f"{CLINIC}/private-conversations/{conversation['id']}/",
        {"outcome": "solved", "outcome_note": "Bill corrected; she thanked the team."},
        status=200,
    )

    # --- statements ---------------------------------------------------------------------
    rec.call(writer, "post", f"{CLINIC}/statements/", {"title": "Measles"}, status=400)
    statement = rec.call(
        writer,
        "post",
        f"{CLINIC}/statements/",
        {
            "title": "About the measles rumour",
            "body": "There is no measles case at our clinic. The health department confirmed "
            "this morning that none of our patients is affected. Questions: +1 555 0100.",
        },
        status=201,
    )
    sid = statement["id"]
    rec.call(writer, "patch", f"{CLINIC}/statements/{sid}/", {"title": ""}, status=400)
    rec.call(
        writer,
        "patch",
        f"{CLINIC}/statements/{sid}/",
        {
            "title": "About the measles rumour",
            "body": "There is no measles case at our clinic. The county health department "
            "confirmed this morning that none of our patients is affected. Questions: "
            "+1 555 0100.",
            "expected_version": 1,
        },
        status=200,
    )
    rec.call(
        writer, "post", f"{CLINIC}/statements/{sid}/submit/", {"expected_version": 0}, status=400
    )
    rec.call(
        writer, "post", f"{CLINIC}/statements/{sid}/submit/", {"expected_version": 2}, status=200
    )
    rec.call(
        manager,
        "post",
        f"{CLINIC}/statements/{sid}/approve/",
        {"expected_status": "maybe"},
        status=400,
    )
    rec.call(
        manager,
        "post",
        f"{CLINIC}/statements/{sid}/approve/",
        {"expected_status": "pending_agency", "expected_version": 2},
        status=200,
    )
    rec.call(
        manager, "post", f"{CLINIC}/statements/{sid}/take-back/", {"expected_version": 0},
        status=400,
    )  # fmt: skip
    rec.call(
        manager, "post", f"{CLINIC}/statements/{sid}/take-back/", {"expected_version": 2},
        status=200,
    )  # fmt: skip
    rec.call(
        manager, "post", f"{CLINIC}/statements/{sid}/approve/", {"expected_version": 2},
        status=200,
    )  # fmt: skip
    rec.call(
        writer, "post", f"{CLINIC}/statements/{sid}/remind/", {"expected_version": 0}, status=400
    )
    rec.call(
        writer, "post", f"{CLINIC}/statements/{sid}/remind/", {"expected_version": 2}, status=200
    )
    # a statement of public-health facts: the guard reads it as one (no legal step), so the
    # clinic's approver is next
    done = approver.post(f"{CLINIC}/statements/{sid}/approve/", {}, "application/json")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "approved", done.json()["route"]
    assert "legal" not in json.dumps(done.json()["route"]), done.json()["route"]
    rec.call(
        writer, "post", f"{CLINIC}/statements/{sid}/publish/", {"expected_version": 0}, status=400
    )
    rec.call(
        writer, "post", f"{CLINIC}/statements/{sid}/publish/", {"expected_version": 2}, status=200
    )
    rec.call(key_a, "get", f"{CLINIC}/statements/", status=200)
    rec.call(key_a, "get", f"{CLINIC}/statements/{sid}/", status=200)
    rec.call(writer, "post", f"{CLINIC}/statements/{sid}/unpin/", status=200)

    other = rec.call(
        writer,
        "post",
        f"{CLINIC}/statements/",
        {"title": "Holiday hours", "body": "We close at 1 pm on December 24 and 31."},
        status=201,
    )
    writer.post(f"{CLINIC}/statements/{other['id']}/submit/", {}, "application/json")
    rec.call(manager, "post", f"{CLINIC}/statements/{other['id']}/reject/", {}, status=400)
    rec.call(
        manager,
        "post",
        f"{CLINIC}/statements/{other['id']}/reject/",
        {"comment": "Add the weekend urgent-care number."},
        status=200,
    )
    rec.call(writer, "post", f"{CLINIC}/statements/{other['id']}/discard/", status=200)
    risky = rec.call(
        writer,
        "post",
        f"{CLINIC}/statements/",
        {"title": "About a patient's post", "body": BLOCK_TEXT},
        status=201,
    )
    rec.call(writer, "post", f"{CLINIC}/statements/{risky['id']}/submit/", status=200)  # to legal
    rec.call(legal, "post", f"{CLINIC}/statements/{risky['id']}/override/", {}, status=400)
    rec.call(
        legal,
        "post",
        f"{CLINIC}/statements/{risky['id']}/override/",
        {"reason": "The patient made the details public; counsel approved this wording."},
        status=200,
    )

    # --- crisis: detector settings, an incident from the outbreak post, its review ---------
    rec.call(key_a, "get", f"{CLINIC}/crisis/settings/", status=200)
    rec.call(manager, "patch", f"{CLINIC}/crisis/settings/", {"watch_words": "measles"}, status=400)
    rec.call(
        manager,
        "patch",
        f"{CLINIC}/crisis/settings/",
        {"watch_words": ["measles", "outbreak", "lawsuit"]},
        status=200,
    )
    opened = _in_clinic(clinic, lambda: detectors_run(notify=False))
    assert opened, "the outbreak post opened no incident"
    incident = opened[0].pk
    base = f"{CLINIC}/incidents/{incident}"
    rec.call(key_a, "get", f"{CLINIC}/incidents/?status=done", status=400)
    rec.call(key_a, "get", f"{CLINIC}/incidents/?status=open", status=200)
    rec.call(key_a, "get", f"{CLINIC}/incidents/counts/", status=200)
    rec.call(key_a, "get", f"{base}/", status=200)
    rec.call(writer, "post", f"{base}/acknowledge/", status=200)
    rec.call(writer, "post", f"{base}/assign/", {"role": "pilot", "user_id": 1}, status=400)
    rec.call(
        writer,
        "post",
        f"{base}/assign/",
        {"role": "comms", "user_id": world.users["a_approver"].pk},
        status=200,
    )
    rec.call(writer, "post", f"{base}/statements/", {"title": "", "body": "x"}, status=400)
    rec.call(
        writer,
        "post",
        f"{base}/statements/",
        {
            "title": "About the measles rumour",
            "body": "There is no measles case at the clinic; the county health department "
            "confirmed it today.",
        },
        status=201,
    )
    rec.call(key_a, "get", f"{base}/statements/", status=200)
    rec.call(writer, "post", f"{base}/notes/", {"message": ""}, status=400)
    rec.call(
        writer,
        "post",
        f"{base}/notes/",
        {"message": "County health department confirms no measles case; statement drafted."},
        status=201,
    )
    rec.call(key_a, "get", f"{base}/timeline/?page_size=2", status=200)
    rec.call(key_a, "get", f"{base}/timeline/?cursor=not-ours", status=400)
    rec.call(writer, "post", f"{base}/status/", {"status": "over"}, status=400)
    rec.call(
        writer,
        "post",
        f"{base}/status/",
        {"status": "responding", "message": "Statement published, replying to comments."},
        status=200,
    )
    rec.call(key_a, "get", f"{base}/review/", status=409)  # not resolved yet
    rec.call(key_a, "get", f"{CLINIC}/incidents/999999/review/", status=404)
    rec.call(writer, "get", f"{base}/resolve/", status=200)
    rec.call(writer, "post", f"{base}/resolve/", {"override_reason": "ok"}, status=400)
    rec.call(writer, "post", f"{base}/resolve/", {}, status=409)
    rec.call(
        writer,
        "post",
        f"{base}/resolve/",
        {"override_reason": "The surge is over; the last replies are posted by hand today."},
        status=200,
    )
    rec.call(key_a, "get", f"{base}/review/", status=200)
    rec.call(writer, "patch", f"{base}/review/", {"lessons": None}, status=400)
    rec.call(
        writer,
        "patch",
        f"{base}/review/",
        {
            "lessons": "The rumour spread on Facebook for 40 minutes before we saw it.",
            "prevention": "Add 'measles' and 'outbreak' to the watch words all year; keep a "
            "pre-approved statement for infection rumours.",
        },
        status=200,
    )
    rec.call(writer, "post", f"{base}/review/send/", status=200)
    # the clinic's approver asks about it on the review in the portal; the agency answers
    asked = approver.post(
        f"/clinics/clinic-a/portal/incidents/{incident}/review/",
        {"text": "The statement says the rumour started Tuesday; our first call was Monday."},
    )
    assert asked.status_code == 302, asked.content[:3000]
    rec.call(key_a, "get", f"{base}/review/questions/", status=200)
    question = _in_clinic(clinic, lambda: ReviewQuestion.objects.get(review__incident_id=incident))
    answer = f"{base}/review/questions/{question.pk}/answer/"
    rec.call(writer, "post", answer, {"answer": " "}, status=400)
    rec.call(
        writer,
        "post",
        answer,
        {"answer": "Thank you: the first call was Monday 9:40; the review now says so."},
        status=200,
    )
    rec.call(key_a, "get", f"{base}/review/export/?format=docx", status=400)
    rec.call(key_a, "get", f"{base}/review/export/?format=html", status=200)
    rec.call(key_a, "get", f"{CLINIC}/crisis/response-plan/", status=200)
    rec.call(writer, "put", f"{CLINIC}/crisis/response-plan/", {"note": "first"}, status=400)
    rec.call(
        writer,
        "put",
        f"{CLINIC}/crisis/response-plan/",
        {
            "text": "1. Acknowledge within 15 minutes.\n2. Comms drafts a holding statement.\n"
            "3. Legal reads anything about a patient.",
            "note": "First version",
        },
        status=201,
    )
    version = rec.call(writer, "post", f"{base}/review/apply-to-plan/", status=201)
    rec.call(
        key_a,
        "get",
        f"{CLINIC}/crisis/response-plan/versions/{version['version']}/",
        status=200,
    )

    # --- webhooks: the log of what was sent, replay, edit, rotate, delete ---------------------
    rec.call(manager, "get", f"{CLINIC}/webhooks/", status=200)
    rec.call(manager, "get", f"{CLINIC}/webhooks/{hook['id']}/", status=200)
    deliveries = rec.call(manager, "get", f"{CLINIC}/webhooks/{hook['id']}/deliveries/", status=200)
    rec.call(
        manager,
        "post",
        f"{CLINIC}/webhooks/deliveries/{deliveries['results'][0]['id']}/replay/",
        status=202,
    )
    rec.call(manager, "patch", f"{CLINIC}/webhooks/{hook['id']}/", {"events": []}, status=400)
    rec.call(
        manager,
        "patch",
        f"{CLINIC}/webhooks/{hook['id']}/",
        {"events": ["reply.published", "incident.opened", "incident.resolved"]},
        status=200,
    )
    rec.call(manager, "post", f"{CLINIC}/webhooks/{hook['id']}/rotate-secret/", status=201)
    rec.call(manager, "delete", f"{CLINIC}/webhooks/{hook['id']}/", status=204)

    # --- the audit trail and the monthly report -----------------------------------------------
    rec.call(key_a, "get", f"{CLINIC}/audit/?object_type=invoice", status=400)
    rec.call(key_a, "get", f"{CLINIC}/audit/?object_type=reply", status=200)
    rec.call(owner, "get", f"{CLINIC}/approvals-log/?decision=maybe", status=400)
    rec.call(owner, "get", f"{CLINIC}/approvals-log/?step=legal&page_size=2", status=200)
    rec.call(owner, "get", f"{PUBLIC}/approvals-log/?clinic=clinic-z", status=400)
    rec.call(owner, "get", f"{PUBLIC}/approvals-log/?step=legal&page_size=2", status=200)
    rec.call(key_a, "get", f"{CLINIC}/reports/monthly/?month=2026-13", status=400)
    rec.call(key_a, "get", f"{CLINIC}/reports/monthly/", status=200)
    rec.call(key_alpha, "get", f"{PUBLIC}/reports/months/?month=2026-13", status=400)
    rec.call(key_alpha, "get", f"{PUBLIC}/reports/months/?page_size=2", status=200)

    # --- chat webhooks: the clinic's Slack and Teams channels for incident alerts -------------
    chats = f"{CLINIC}/chat-webhooks/"
    slack = "https://hooks.slack.com/services/T0CAREWTCH/B0ALERTS1/Xq4LmN8rVb2YcTsPa7Kd"
    rec.call(manager, "post", chats, {"kind": "slack", "url": "http://hooks.slack.com/x"},
             status=400)  # fmt: skip
    chat = rec.call(manager, "post", chats, {"kind": "slack", "url": slack}, status=201)
    rec.call(key_a, "get", chats, status=200)
    rec.call(key_a, "get", f"{chats}{chat['id']}/", status=200)
    rec.call(manager, "patch", f"{chats}{chat['id']}/", {"url": "https://example.com/x"},
             status=400)  # fmt: skip
    rec.call(manager, "patch", f"{chats}{chat['id']}/", {"url": slack[:-4] + "Wd3e"}, status=200)
    receiver = FakeChat().start()  # the test message goes to a local stand-in for Slack
    try:
        local = {"url": f"{receiver.base_url}/services/carewatch"}
        assert manager.patch(f"{chats}{chat['id']}/", local, "application/json").status_code == 200
        rec.call(manager, "post", f"{chats}{chat['id']}/test/", status=200)
    finally:
        receiver.stop()
    rec.call(manager, "delete", f"{chats}{chat['id']}/", status=204)

    # --- the settings history: who changed the settings above, when, from what to what ---------
    rec.call(owner, "get", f"{CLINIC}/settings-history/?changed_from=2026-13-01", status=400)
    rec.call(owner, "get", f"{CLINIC}/settings-history/?area=detectors", status=200)

    # --- privacy requests: the agency's CRM removes a reviewer's items on their request ------
    rec.call(key_alpha, "get", f"{PUBLIC}/privacy-requests/matches/?author=L", status=400)
    matches = rec.call(
        key_alpha, "get", f"{PUBLIC}/privacy-requests/matches/?author=Lee%20M.", status=200
    )
    [found] = [item for group in matches["clinics"] for item in group["items"]]
    erasure = {
        "author": "Lee M.",
        "reason": "Erasure request DSR-2291 received by e-mail on 3 December",
        "action": "redact",
        "items": [{"clinic": "clinic-a", "review_id": found["review_id"]}],
    }
    rec.call(key_alpha, "post", f"{PUBLIC}/privacy-requests/", {**erasure, "reason": ""},
             status=400)  # fmt: skip
    carried_out = rec.call(key_alpha, "post", f"{PUBLIC}/privacy-requests/", erasure, status=201)
    rec.call(key_alpha, "get", f"{PUBLIC}/privacy-requests/?action=erase", status=400)
    rec.call(key_alpha, "get", f"{PUBLIC}/privacy-requests/?clinic=clinic-a", status=200)
    rec.call(key_alpha, "get", f"{PUBLIC}/privacy-requests/{carried_out['id']}/", status=200)

    # --- a client leaves: export its data, deactivate, reactivate, delete (the new clinic) -----
    leaving = "/clinics/riverside/api/v1"
    export = rec.call(manager, "post", f"{leaving}/exports/", status=202)
    export_run(export_id=export["id"])
    rec.call(manager, "get", f"{leaving}/exports/", status=200)
    rec.call(manager, "get", f"{leaving}/exports/{export['id']}/", status=200)
    zipped = rec.call(manager, "get", f"{leaving}/exports/{export['id']}/download/", status=200)
    assert b"".join(zipped.streaming_content)[:2] == b"PK"  # read to the end, as a client does
    rec.call(owner, "post", f"{leaving}/deactivate/", {"confirm_name": "Riverside"}, status=400)
    name = {"confirm_name": "Riverside Family Practice"}
    rec.call(owner, "post", f"{leaving}/deactivate/", name, status=200)
    rec.call(owner, "post", f"{leaving}/reactivate/", status=200)
    owner.post(f"{leaving}/deactivate/", name, "application/json")
    rec.call(owner, "post", f"{leaving}/delete/", {**name, "confirm": False}, status=400)
    rec.call(owner, "post", f"{leaving}/delete/", {**name, "confirm": True}, status=204)

    # --- API keys: people manage them (API keys cannot) ----------------------------------------
    rec.call(owner, "post", f"{CLINIC}/api-keys/", {"name": "CRM", "scopes": []}, status=400)
    created = rec.call(
        owner,
        "post",
        f"{CLINIC}/api-keys/",
        {"name": "CRM integration", "scopes": ["read", "write"]},
        status=201,
    )
    rec.call(owner, "get", f"{CLINIC}/api-keys/", status=200)
    rec.call(
        owner, "post", f"{CLINIC}/api-keys/{created['id']}/rotate/", {"grace": "2d"}, status=400
    )
    rotated = rec.call(
        owner, "post", f"{CLINIC}/api-keys/{created['id']}/rotate/", {"grace": "1h"}, status=201
    )
    rec.call(owner, "post", f"{CLINIC}/api-keys/{rotated['id']}/revoke/", status=200)
    rec.call(owner, "post", f"{PUBLIC}/api-keys/", {"name": "BI export"}, status=400)
    agency_key = rec.call(
        owner,
        "post",
        f"{PUBLIC}/api-keys/",
        {"name": "BI export", "scopes": ["read"]},
        status=201,
    )
    rec.call(owner, "get", f"{PUBLIC}/api-keys/", status=200)
    rec.call(
        owner,
        "post",
        f"{PUBLIC}/api-keys/{agency_key['id']}/rotate/",
        {"grace": "1 week"},
        status=400,
    )
    agency_key = rec.call(
        owner,
        "post",
        f"{PUBLIC}/api-keys/{agency_key['id']}/rotate/",
        {"grace": "7d"},
        status=201,
    )
    rec.call(owner, "post", f"{PUBLIC}/api-keys/{agency_key['id']}/revoke/", status=200)

    return rec.operations


def _committed() -> dict:
    return json.loads(EXAMPLES_FILE.read_text()) if EXAMPLES_FILE.exists() else {}


def test_every_operation_has_a_recorded_example(world, login, api, public_hook_host, db):
    # given the operations the OpenAPI document describes today
    schema = openapi_schema()
    operations = schema_operations(schema)

    # when every one of them is called once
    recorded = drive_every_operation(world, login, api)

    # then each has its success answer, a request example when it takes a body, and an error
    # in the common shape where it validates input
    assert sorted(operations - set(recorded)) == [], (
        "operations the scenario never called: add a call to drive_every_operation"
    )
    assert sorted(set(recorded) - operations) == [], "calls that match no documented operation"
    for name, operation in recorded.items():
        statuses = sorted(operation["responses"])
        assert any(s.startswith("2") for s in statuses), (name, statuses)
        method, path = name.split(" ", 1)
        if "requestBody" in schema["paths"][path][method.lower()]:
            assert "request" in operation and "400" in operation["responses"], name
        for status, answer in operation["responses"].items():
            if status == "400":
                body = answer["body"]
                assert set(body) <= {"detail", "code", "fields"}, (name, body)
                assert isinstance(body["detail"], str) and isinstance(body["code"], str)
    # and every request and answer has the shape the document gives it
    assert schema_mismatches(schema, recorded) == []

    if os.environ.get("UPDATE_API_EXAMPLES") == "1":
        ordered = {
            name: {
                **({"request": recorded[name]["request"]} if "request" in recorded[name] else {}),
                "responses": dict(sorted(recorded[name]["responses"].items())),
            }
            for name in sorted(recorded, key=_order)
        }
        EXAMPLES_FILE.write_text(json.dumps(ordered, indent=2, ensure_ascii=False) + "\n")
        return

    # and the committed examples cover the same operations with the same shapes
    committed = _committed()
    assert sorted(operations - set(committed)) == [], (
        "docs/api-examples.json lacks these operations: run "
        "UPDATE_API_EXAMPLES=1 pytest tests/api/test_examples.py"
    )
    stale = [
        f"{name} {status}"
        for name, operation in recorded.items()
        for status, answer in operation["responses"].items()
        if not shapes_agree(
            deep_shape(committed[name]["responses"].get(status, {}).get("body")),
            deep_shape(answer.get("body")),
        )
    ] + [
        f"{name} request"
        for name, operation in recorded.items()
        if not shapes_agree(
            deep_shape(committed[name].get("request")), deep_shape(operation.get("request"))
        )
    ]
    assert stale == [], (
        "these examples no longer have the API's shape: run "
        "UPDATE_API_EXAMPLES=1 pytest tests/api/test_examples.py"
    )
    reworded = [
        f"{name} {status} {where}: shows {shown!r}, the API says {said!r}"
        for name, operation in recorded.items()
        for status, answer in operation["responses"].items()
        for where, (shown, said) in words_changed(
            committed[name]["responses"].get(status, {}).get("body"), answer.get("body")
        ).items()
    ]
    assert reworded == [], (
        "these examples show other codes or words than the API answers with: run "
        "UPDATE_API_EXAMPLES=1 pytest tests/api/test_examples.py"
    )


def deep_shape(value):
    """The keys of an example at every depth (of the first item of each list): `shape_of`
    reads the top level and a page's first item only, so a field gained inside an answer's
    object (`sentiment`, `metrics`) left a stale example passing."""
    if isinstance(value, dict):
        return {key: deep_shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return ["list", deep_shape(value[0]) if value else None]
    return None if value is None else type(value).__name__


def shapes_agree(shown, answered) -> bool:
    """Whether two `deep_shape`s describe the same answer: the same keys at every depth, and
    the same kind of value where both have one. A null (or an empty list) agrees with any
    shape, and an integer with a decimal: what a month in progress holds depends on the day
    and on what the suite's other tests left in the clinic (`reports/monthly/` answers
    `average_rating` 2 one day, 2.5 or null another), not on the API."""
    if shown is None or answered is None:
        return True
    if isinstance(shown, dict) and isinstance(answered, dict):
        return shown.keys() == answered.keys() and all(
            shapes_agree(shown[key], answered[key]) for key in shown
        )
    if isinstance(shown, list) and isinstance(answered, list):
        return shapes_agree(shown[1], answered[1])
    return shown == answered or {shown, answered} <= {"int", "float"}


WORD_KEYS = frozenset({"code", "role", "detail"})


def documented_words(value, at: str = "") -> dict[str, str]:
    """What an integrator matches on, by where it is (".results[0].person.role"): every `code`,
    `role`, `*_words` and refusal `detail` of an example, at every depth (first list item), with
    numbers read as N (ids and versions depend on the run). A renamed code or reworded role
    keeps the example's shape, so the shape alone never told it."""
    found = {}
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{at}.{key}"
            if isinstance(item, str | list) and (key in WORD_KEYS or key.endswith("_words")):
                found[where] = re.sub(r"\d+", "N", json.dumps(item, ensure_ascii=False))
            found |= documented_words(item, where)
    elif isinstance(value, list) and value:
        found |= documented_words(value[0], f"{at}[0]")
    return found


def words_changed(shown, answered) -> dict[str, tuple[str | None, str | None]]:
    """{where: (what the example shows, what the API answers)} where they differ."""
    before, now = documented_words(shown), documented_words(answered)
    return {
        where: (before.get(where), now.get(where))
        for where in sorted(before.keys() | now.keys())
        if before.get(where) != now.get(where)
    }


def _order(name: str) -> tuple[str, int]:
    method, path = name.split(" ", 1)
    return (path, [m.upper() for m in METHODS].index(method))


def test_the_examples_show_the_shipped_model_version():
    versions = set(re.findall(r'"model(?:_version)?": "([^"]*)"', EXAMPLES_FILE.read_text()))
    assert versions == {MODEL}, (
        "docs/api-examples.json shows another model version: run "
        "UPDATE_API_EXAMPLES=1 pytest tests/api/test_examples.py"
    )


def test_the_schema_carries_the_examples():
    # given the committed examples
    committed = _committed()
    assert committed, "docs/api-examples.json is missing"

    # when the schema is generated
    schema = openapi_schema()

    # then every operation shows its recorded request and answers
    missing = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            example = committed.get(f"{method.upper()} {path}")
            if example is None:
                missing.append(f"{method} {path} has no example")
                continue
            body = operation.get("requestBody", {}).get("content", {})
            for media_type, content in body.items():
                if "recorded" not in content.get("examples", {}):
                    missing.append(f"{method} {path} request {media_type}")
                elif content["examples"]["recorded"]["value"] != example["request"]:
                    missing.append(f"{method} {path} request differs")
            for status, answer in example["responses"].items():
                if "body" not in answer:
                    continue
                content = operation["responses"][status].get("content", {})
                shown = [c["examples"]["recorded"]["value"] for c in content.values()
                         if "recorded" in c.get("examples", {})]  # fmt: skip
                if shown != [answer["body"]]:
                    missing.append(f"{method} {path} {status}")
    assert missing == []
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail", "code"]


def test_the_schema_is_generated_without_the_examples_file(monkeypatch, tmp_path):
    monkeypatch.setattr("core.schema.EXAMPLES_FILE", tmp_path / "absent.json")
    schema = openapi_schema()
    operation = schema["paths"]["/clinics/{clinic}/api/v1/facts/"]["post"]
    assert "recorded" not in operation["requestBody"]["content"]["application/json"].get(
        "examples", {}
    )
    assert "examples" not in operation["responses"]["400"]["content"]["application/json"]


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/", "/api/schema/"])
def test_the_api_docs_render(url, client, db):
    response = client.get(url)
    assert response.status_code == 200
    if url == "/api/schema/":
        assert b"recorded" in response.content


def test_settings_keep_the_enum_hook():
    hooks = settings.SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]
    assert hooks == [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.examples_add",
        "core.openapi.tags_add",
        "core.openapi.deprecated_mark",
        "core.openapi.unused_components_drop",
    ]


@pytest.mark.parametrize(
    ("committed", "fresh", "same"),
    [
        ({"id": 1, "name": "a"}, {"id": 2, "name": "b"}, True),
        ({"id": 1}, {"id": 1, "name": "b"}, False),
        ({"count": 1, "results": [{"id": 1}]}, {"count": 3, "results": [{"id": 4}]}, True),
        ({"count": 1, "results": [{"id": 1}]}, {"count": 1, "results": [{"id": 1, "x": 0}]}, False),
        ([{"id": 1}], [{"id": 1, "x": 0}], False),
        (None, {"detail": "x"}, False),
    ],
    ids=["values", "new-key", "page-values", "page-item-key", "list-item-key", "missing"],
)
def test_shape_tells_a_stale_example(committed, fresh, same):
    assert (shape_of(committed) == shape_of(fresh)) is same


@pytest.mark.parametrize(
    ("committed", "fresh", "changed"),
    [
        ({"id": 1, "sentiment": {"x": 1}}, {"id": 2, "sentiment": {"x": 3}}, False),
        ({"sentiment": {"x": 1}}, {"sentiment": {"x": 1, "x_words": "One"}}, True),
        ({"results": [{"person": {"role": "a"}}]}, {"results": [{"person": {"b": 1}}]}, True),
        ([{"a": {"b": [{"c": 1}]}}], [{"a": {"b": [{"c": 1, "d": 2}]}}], True),
    ],
    ids=["values", "nested-key", "nested-page-item-key", "deep-list-item-key"],
)
def test_deep_shape_tells_a_field_gained_inside_an_object(committed, fresh, changed):
    assert (deep_shape(committed) != deep_shape(fresh)) is changed
    assert (not shapes_agree(deep_shape(committed), deep_shape(fresh))) is changed


@pytest.mark.parametrize(
    ("committed", "fresh", "agree"),
    [
        ({"rating": 2.0, "pct": None}, {"rating": 2, "pct": 12.5}, True),
        ({"weekly": []}, {"weekly": [{"label": "1 Nov"}]}, True),
        ({"rating": 2.0}, {"rating": "2.0"}, False),
        ({"weekly": [{"label": "1 Nov"}]}, {"weekly": [{"week": "1 Nov"}]}, False),
        ({"sentiment": None}, {"sentiment": {"x": 1}}, True),
    ],
    ids=["null-and-number", "empty-list", "number-to-string", "renamed-key", "null-object"],
)
def test_shapes_agree_where_only_the_day_s_data_differs(committed, fresh, agree):
    assert shapes_agree(deep_shape(committed), deep_shape(fresh)) is agree


def test_words_tell_a_renamed_code_or_reworded_role_that_keeps_the_shape():
    committed = {
        "results": [{"id": 3, "person": {"role": "viewer (Legal / compliance)"}}],
        "refusal": {"detail": "Incident #1 is not resolved.", "code": "not_allowed"},
    }
    fresh = {
        "results": [{"id": 9, "person": {"role": "Legal / compliance"}}],
        "refusal": {"detail": "Incident #7 is not resolved.", "code": "permission_denied"},
    }
    assert deep_shape(committed) == deep_shape(fresh)
    assert words_changed(committed, fresh) == {
        ".refusal.code": ('"not_allowed"', '"permission_denied"'),
        ".results[0].person.role": ('"viewer (Legal / compliance)"', '"Legal / compliance"'),
    }  # the ids and the incident's number are the run's, not a change
    assert words_changed({"a_words": "Mostly positive"}, {}) == {
        ".a_words": ('"Mostly positive"', None)
    }
