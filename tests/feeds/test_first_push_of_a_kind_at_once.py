"""Integrator walk-through finding: pushes by a source kind the clinic had no source of, sent
at the same moment (a parallel back-fill), each created a source of that kind; every later
push by that kind was then refused as ambiguous ("several healthgrades sources turned on").
The first push creates the source under a lock held until it commits; the others use it."""

from __future__ import annotations

import time
import uuid

from django.test import Client
from django_tenants.utils import schema_context

from feeds.models import Review, Source
from feeds.services import ingest
from tests.fixtures.tenants import clinic_committed_create, clinic_drop
from tests.fixtures.threads import race

URL = "/clinics/{slug}/api/v1/reviews/ingest/"


def test_pushes_of_a_new_kind_at_once_create_one_source(world, django_db_blocker, monkeypatch):
    with django_db_blocker.unblock():
        # given a committed clinic with no Healthgrades source, and its API key
        made = clinic_committed_create(
            slug=f"kind-{uuid.uuid4().hex[:8]}", name="Kind Race", api_key_scopes=["read", "write"]
        )
        try:
            # the first to create the source keeps its transaction open a moment longer
            create = ingest.source_create

            def create_slowly(**kwargs):
                source = create(**kwargs)
                time.sleep(0.5)
                return source

            monkeypatch.setattr(ingest, "source_create", create_slowly)

            def push(n: int):
                def send():
                    client = Client(HTTP_AUTHORIZATION=f"Bearer {made.api_key}")
                    item = {
                        "source": "healthgrades", "external_id": f"hg-{n}",
                        "published_at": "2026-12-01T10:00:00Z", "text": f"Visit {n}",
                    }  # fmt: skip
                    return client.post(
                        URL.format(slug=made.clinic.slug), item, content_type="application/json"
                    )

                return send

            # when three pushes by that kind arrive at once
            answers = race(push(1), push(2), push(3))

            # then each item is created, in the one Healthgrades source
            statuses = [a.json()["results"][0]["status"] for a in answers]
            assert statuses == ["created"] * 3, [a.content for a in answers]
            with schema_context(made.clinic.schema_name):
                sources = list(Source.objects.filter(kind="healthgrades"))
                assert len(sources) == 1
                assert set(Review.objects.values_list("source_id", flat=True)) == {sources[0].pk}
            # and a later push by that kind is not refused as ambiguous
            assert push(4)().json()["results"][0]["status"] == "created"
        finally:
            clinic_drop(made.clinic)
