"""The clinic's people read the approvals log in their agency's name wherever they read it:
a text Carewatch withdrew (its review was taken down) is withdrawn by the agency's brand on
the portal page, in its CSV file and in the API alike; the agency's staff read "Carewatch"
(review 13, #3: the API showed "Carewatch" to the clinic)."""

from __future__ import annotations

from django_tenants.utils import schema_context

from agency.branding import brand_name
from feeds.models import Review, Source
from feeds.services.ingest import ItemIn, reviews_upsert
from tests.portal.helpers import reply_waiting_for_clinic
from tests.responses.approvals_log import API, PORTAL, api_rows, csv_rows
from tests.responses.conftest import OK_TEXT, review_in


def _withdrawn_at_the_clinics_step(world, clinic) -> int:
    """A reply waiting for the clinic's approval, withdrawn by Carewatch when its review was
    taken down on its platform: its draft id."""
    draft = reply_waiting_for_clinic(
        clinic=clinic, review=review_in(clinic), writer=world.users["alpha_writer"],
        manager=world.users["alpha_manager"], text=OK_TEXT,
    )  # fmt: skip
    with schema_context(clinic.schema_name):
        review = Review.objects.get(pk=draft.review_id)
        reviews_upsert(
            source=Source.objects.get(pk=review.source_id),
            items=[ItemIn(external_id=review.external_id, text=review.text,
                          published_at=review.published_at, author_name=review.author_name,
                          rating=review.rating, deleted=True)],
        )  # fmt: skip
    return draft.pk


def test_the_clinic_reads_the_withdrawal_in_the_agencys_name_on_page_csv_and_api(
    world, clinic_a, login
):
    draft_id = _withdrawn_at_the_clinics_step(world, clinic_a)
    brand = brand_name(world.agencies["alpha"])
    approver = login("a_approver")
    wanted = {"person": "system:reviews"}

    [row] = api_rows(approver, **wanted)
    page = approver.get(PORTAL, wanted).content.decode()
    [line] = csv_rows(approver.get(PORTAL, {**wanted, "format": "csv"}))

    assert (row["reply_id"], row["person"]["name"]) == (draft_id, brand)
    assert f"</strong> by {brand}" in page and "by Carewatch" not in page
    assert (line["reply_id"], line["person"]) == (str(draft_id), brand)


def test_the_agencys_staff_read_carewatch_in_the_api(world, clinic_a, login):
    draft_id = _withdrawn_at_the_clinics_step(world, clinic_a)

    [row] = api_rows(login("alpha_manager"), person="system:reviews")

    assert (row["reply_id"], row["person"]["name"]) == (draft_id, "Carewatch")
    assert login("alpha_manager").get(API).status_code == 200
