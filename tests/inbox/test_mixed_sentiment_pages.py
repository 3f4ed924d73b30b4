"""A review with praise and a complaint reads "Mixed" wherever its sentiment shows on the staff
pages: the inbox row, the review page, the reply editor and the agency's waiting list (one
rule: `scoring.models.review_sentiment`). Its stored label, its filters and the API stay the
model's."""

from __future__ import annotations

from django_tenants.utils import schema_context

from dashboard.services import clinic_snapshot_refresh
from tests.fixtures.rows import score_add
from tests.responses.conftest import review_in

TEXT = "Dr Lee and the nurses were wonderful. The bill was wrong twice and nobody called back."
TOPICS = [
    {"name": "staff_attitude", "triggers": ["wonderful"], "sentiment": "positive"},
    {"name": "billing_insurance", "triggers": ["bill"], "sentiment": "negative"},
]
MIXED = (
    '<span class="pill mixed" title="Praise and complaint in one review; read as a whole, '
    'negative">Mixed'
)


def _mixed_review(clinic):
    review = review_in(clinic, "csv", text=TEXT)
    with schema_context(clinic.schema_name):
        score_add(review=review, model_version="t", label="negative", score=-0.31, topics=TOPICS)
    return review


def test_the_inbox_row_and_the_review_page_say_mixed(clinic_a, login):
    review = _mixed_review(clinic_a)
    client = login("alpha_writer")
    inbox = client.get("/clinics/clinic-a/inbox/").content.decode()
    link = inbox.index(f'href="/clinics/clinic-a/inbox/{review.pk}/"')
    row = inbox[inbox.rindex("<tr>", 0, link) : inbox.index("</tr>", link)]
    assert f'{MIXED} -0.31</span> <span class="muted">· Staff attitude positive</span>' in row
    assert ">negative -0.31<" not in row
    page = client.get(f"/clinics/clinic-a/inbox/{review.pk}/").content.decode()
    assert f"{MIXED} -0.31</span>" in page
    # the API keeps the model's label
    api = client.get(f"/clinics/clinic-a/api/v1/reviews/{review.pk}/").json()
    assert api["sentiment"]["label"] == "negative"


def test_the_reply_editor_and_the_waiting_list_say_mixed(clinic_a, login):
    review = _mixed_review(clinic_a)
    client = login("alpha_writer")
    editor = client.get(f"/clinics/clinic-a/replies/review/{review.pk}/").content.decode()
    assert f"{MIXED}</span> · Staff attitude · Billing and insurance" in editor
    clinic_snapshot_refresh(clinic=clinic_a)
    waiting = client.get("/agency/waiting/").content.decode()
    assert f"{MIXED}</span>" in waiting
