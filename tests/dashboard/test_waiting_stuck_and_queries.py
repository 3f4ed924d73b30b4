"""Waiting for a reply says a reply is stuck when it waits for the clinic approval and the
clinic has no approver (instead of "in progress"), and the page's queries do not grow with
the clinics it reads beyond each clinic's one read of its reviews (in its schema)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.models import ClinicMembership
from clinics.services import clinic_create
from dashboard.models import ClinicSnapshot
from dashboard.services import clinic_snapshot_refresh
from responses.models import ApprovalStatus, ReplyDraft

URL = "/agency/waiting/"


def _row(html: str, clinic, review) -> str:
    row = html[html.index(f'id="awaiting-{clinic.slug}-{review.pk}"') :]
    return row[: row.index("</tr>")]


def _pending_client(clinic, review, author) -> None:
    with schema_context(clinic.schema_name):
        ReplyDraft.objects.create(
            review=review, status=ApprovalStatus.PENDING_CLIENT, route=["agency", "client"],
            author_label=f"user:{author.pk}", author_name=author.full_name,
        )  # fmt: skip


def test_a_reply_waiting_for_a_clinic_without_approver_reads_stuck(world, clinic_a, rows, login):
    # given: a reply the agency approved waits for Clinic A, which has no approver
    review = rows(clinic_a).review(hours_ago=30, rating=1, label="negative", text="Stuck one")
    _pending_client(clinic_a, review, world.users["alpha_writer"])
    ClinicMembership.objects.filter(clinic=clinic_a, role="approver").delete()
    clinic_snapshot_refresh(clinic=clinic_a)

    # when: the manager opens the page
    html = login("alpha_manager").get(URL).content.decode()

    # then: it is not "in progress": it is stuck, and why
    row = _row(html, clinic_a, review)
    assert '<strong data-testid="reply-stuck">Stuck: the clinic has no approver</strong>' in row
    assert "Reply in progress" not in row


def test_the_same_reply_with_an_approver_is_in_progress(world, clinic_a, rows, login):
    review = rows(clinic_a).review(hours_ago=30, rating=1, label="negative", text="Moving one")
    _pending_client(clinic_a, review, world.users["alpha_writer"])
    clinic_snapshot_refresh(clinic=clinic_a)

    html = login("alpha_manager").get(URL).content.decode()

    row = _row(html, clinic_a, review)
    assert '">Reply in progress, by Alpha Writer</a>' in row
    assert "Stuck" not in row


def _clinics(agency, names: range) -> None:
    for i in names:
        clinic = clinic_create(agency=agency, name=f"Counted {i}", slug=f"counted-{i}")
        ClinicSnapshot.objects.create(
            clinic=clinic, agency=agency, new_reviews=1, refreshed_at=timezone.now()
        )


def test_the_page_reads_each_clinic_once(world, db, login, django_assert_max_num_queries):
    # given: three more clinics with new reviews
    alpha = world.agencies["alpha"]
    manager = login("alpha_manager")
    _clinics(alpha, range(3))
    manager.get(URL)  # the session and caches warm
    with CaptureQueriesContext(connection) as few:
        assert manager.get(URL).status_code == 200

    # when: five more
    _clinics(alpha, range(3, 8))

    # then: the page costs two queries more per clinic (its schema, then its reviews with
    # their count and latest score), not four
    with django_assert_max_num_queries(len(few) + 2 * 5):
        assert manager.get(URL).status_code == 200
