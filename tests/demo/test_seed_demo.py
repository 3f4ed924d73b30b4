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


def test_the_demo_tells_a_story_replies_wait_at_every_step_and_clinics_differ(seeded, db):
    """A buyer reading the demo sees work in progress, not an empty queue: at each clinic a
    reply waits for the agency, one for legal, one for the clinic in its portal, and one was
    sent back with a comment; weeks of replies were published, so the reports have a median
    reply time; the clinics have their own ratings (not 3.8★ each); and the sources are turned
    on, said honestly to be not connected, their replies posted by hand."""
    from django.db.models import Avg

    from dashboard.services import clinic_snapshot_refresh
    from feeds.models import Source
    from feeds.selectors import source_delivery_problem
    from reports.selectors import monthly_report
    from responses.models import ApprovalStatus, ReplyDraft

    now = timezone.now()
    averages, shown = {}, {}
    for spec in CLINICS:
        clinic = Clinic.objects.get(slug=spec["slug"])
        with schema_context(clinic.schema_name):
            statuses = list(ReplyDraft.objects.values_list("status", flat=True))
            for waiting in (
                ApprovalStatus.PENDING_AGENCY,
                ApprovalStatus.PENDING_LEGAL,
                ApprovalStatus.PENDING_CLIENT,
                ApprovalStatus.CHANGES_REQUESTED,
            ):
                assert statuses.count(waiting) == 1, (spec["slug"], waiting, statuses)
            # the API guide's reply (docs/integrate.md) is to the latest Google review: free
            latest_google = Review.objects.filter(source__kind="google").latest("published_at")
            assert not ReplyDraft.objects.filter(review=latest_google).exists()
            sent_back = ReplyDraft.objects.get(status=ApprovalStatus.CHANGES_REQUESTED)
            assert sent_back.last_comment
            published = ReplyDraft.objects.filter(status=ApprovalStatus.PUBLISHED)
            assert published.count() >= 8
            # published over past weeks, each some hours after its review
            times = sorted(d.published_at for d in published)
            assert (now - times[0]).days >= 35 and times[-1] < now
            assert all(d.published_at > d.review.published_at for d in published)
            averages[spec["slug"]] = Review.objects.aggregate(a=Avg("rating"))["a"]
        # the agency's dashboard: replies awaiting approval, each clinic's own rating
        snapshot = clinic_snapshot_refresh(clinic=clinic, now=now)
        assert snapshot.awaiting_replies == 3
        shown[spec["slug"]] = snapshot.average_rating
        with schema_context(clinic.schema_name):
            month = (now.replace(day=1) - timedelta(days=1)).date()  # last month: whole
            report = monthly_report(clinic=clinic, month=month.replace(day=1))
            assert report["response_time"]["replies"] >= 1
            assert report["response_time"]["median_minutes"] > 0
            sources = list(Source.objects.all())
            assert sources and all(s.enabled and s.replies_by_hand for s in sources)
            assert {source_delivery_problem(s) for s in sources} == {"not connected to its account"}
    riverside, northgate, lakeview = (averages[spec["slug"]] for spec in CLINICS)
    assert riverside > 4.2 and 3.7 < northgate < 4.1 and lakeview < 3.4
    # the dashboard shows them apart, never 3.8★ each
    assert shown["riverside-dental"] > shown["northgate-derm"] > shown["lakeview-peds"]


def test_the_portal_overview_says_what_its_rating_and_negative_share_count(seeded, db):
    """Lakeview's overview showed "3.x ★" beside "Negative 71 %" with nothing said: the
    rating is the stars of the reviews that gave stars, the negative share is what all the
    items read so far say (its crisis's mentions give no stars). The page says so, and the
    clinic's approver sees the reply that waits for them."""
    approver = Client()
    approver.post(
        "/login/", {"username": "approver@lakeview-peds.example", "password": DEMO_PASSWORD}
    )
    page = approver.get("/clinics/lakeview-peds/portal/").content.decode()
    assert "review that gave stars" in page or "reviews that gave stars" in page
    assert "mentions give none" in page
    assert "by what their words say, not their stars" in page
    assert "1</span> reply to approve" in page
