"""seed_demo: the demo agency, its clinics, people and reviews, made once, and the crisis it
promises."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from clinics.models import Clinic
from demo.management.commands.seed_demo import CLINIC_PEOPLE, CLINICS, DEMO_PASSWORD, STAFF
from feeds.models import Review
from inbox.selectors import arrivals_figures
from reports.selectors import report_months
from tests.fixtures.tenants import otp_verify_session


@pytest.fixture(scope="module")
def seeded(world, django_db_blocker) -> tuple[str, str]:
    """seed_demo run twice, once for the module (its three clinics take seconds each to
    make): what it printed each time. Each test runs in a transaction of its own inside the
    module's, which is rolled back after the last one, so no test sees what another did and
    nothing is left behind."""
    with django_db_blocker.unblock(), transaction.atomic():
        first, second = io.StringIO(), io.StringIO()
        call_command("seed_demo", stdout=first)
        call_command("seed_demo", stdout=second)
        yield first.getvalue(), second.getvalue()
        transaction.set_rollback(True)


def test_seed_demo_creates_everything_once_and_prints_logins(seeded, db):
    first, second = seeded
    assert "Demo data ready." in first and "Demo data already present." in second
    clinics = Clinic.objects.filter(agency__slug="brightside")
    assert clinics.count() == 3
    for spec in CLINICS:
        clinic = clinics.get(slug=spec["slug"])
        with schema_context(clinic.schema_name):
            reviews = Review.objects.all()
            assert reviews.count() == spec["reviews"] + spec["surge"]
            span = max(r.published_at for r in reviews) - min(r.published_at for r in reviews)
            assert 80 <= span.days <= 91
    expected_users = len(STAFF) + len(CLINICS) * len(CLINIC_PEOPLE)
    assert User.objects.filter(email__endswith=".example").count() == expected_users
    for _, email, _ in STAFF:
        assert email in second


def test_demo_logins_show_exactly_their_clinics(seeded, db):
    owner = Client()
    assert (
        owner.post(
            "/login/", {"username": "olivia.owner@brightside.example", "password": DEMO_PASSWORD}
        ).status_code
        == 302
    )
    # agency staff pass the two-factor step before any page
    assert owner.get("/")["Location"].startswith("/account/two-factor/setup/")
    otp_verify_session(owner, User.objects.get(email="olivia.owner@brightside.example"))
    home = owner.get("/").content.decode()
    assert all(spec["name"] in home for spec in CLINICS)
    approver = Client()
    approver.post(
        "/login/", {"username": "approver@lakeview-peds.example", "password": DEMO_PASSWORD}
    )
    home = approver.get("/").content.decode()
    assert "Lakeview Pediatrics" in home and "Riverside Family Dental" not in home
    assert approver.get("/clinics/riverside-dental/").status_code == 404
    # the clinic's people read their clinic in its portal, never the agency's pages
    assert approver.get("/clinics/lakeview-peds/")["Location"] == "/clinics/lakeview-peds/portal/"
    page = approver.get("/clinics/lakeview-peds/portal/").content.decode()
    assert "Lakeview Pediatrics" in page and "Clinic people" not in page


def test_the_demo_crisis_is_found_once_its_mentions_are_scored(seeded, db):
    """seed_demo promises a crisis to find: scoring Lakeview's reviews (the worker's service,
    the shipped model) and running the detectors opens a negative-surge incident."""
    from crisis.models import Incident
    from crisis.services.detection import detectors_run
    from scoring.engine import get_scorer
    from scoring.services import reviews_score

    spec = next(s for s in CLINICS if s["surge"])
    clinic = Clinic.objects.get(slug=spec["slug"])
    with schema_context(clinic.schema_name):
        reviews_score(
            review_ids=list(Review.objects.values_list("pk", flat=True)), scorer=get_scorer()
        )
        opened = detectors_run(notify=False)
        assert [i.kind for i in opened] == ["surge"]
        assert Incident.objects.filter(kind="surge", resolved_at__isnull=True).count() == 1


def test_the_demo_reads_as_ninety_days_watched_not_as_history_imported_today(seeded, db):
    """The dashboard's "new in the last 24 hours" counts what was stored in the last day: the
    demo's items are stored as they were published, so it is the last day's few, not all 90
    days' (a buyer read "464 new in the last 24 hours"); and its clinics are older than their
    first review, so no month of their reports is called "history imported"."""
    now = timezone.now()
    for spec in CLINICS:
        clinic = Clinic.objects.get(slug=spec["slug"])
        with schema_context(clinic.schema_name):
            last_day = Review.objects.filter(published_at__gt=now - timedelta(hours=24)).count()
            assert last_day <= spec["surge"] + spec["reviews"] // 10
            assert arrivals_figures(now=now)["arrived"] == last_day
            months = report_months(clinic, now=now)
        assert months.since < months.first_item
