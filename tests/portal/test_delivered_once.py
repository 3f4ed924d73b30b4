"""The portal's "Approved in the last 14 days" card says where a reply stands once: for a
reply on one channel, the card's sentence, and the channel's row only its name and state."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from responses.models import OutboxItem
from tests.responses.conftest import approved_reply, as_user, review_in  # noqa: F401 - the fixture

BASE = "/clinics/clinic-a"


def _card(login, draft_id: int) -> str:
    page = login("a_approver").get(f"{BASE}/portal/approvals/").content.decode()
    return page.split(f'id="delivered-{draft_id}"', 1)[1].split("</article>", 1)[0]


@pytest.mark.parametrize(
    ("status", "failure_kind", "sentence", "label"),
    [
        pytest.param(
            "failed", "refused",
            "Not posted yet: google source did not take it. Your agency has been told and will "
            "see that it is posted; nothing is needed from you.",
            "Not posted yet", id="failed",
        ),
        pytest.param(
            "pending", "",
            "Not posted yet: google source is not connected. Your agency connects it (it is then "
            "posted by itself) or posts it there by hand; nothing is needed from you.",
            "Waiting for your agency", id="waiting-for-the-connection",
        ),
    ],
)  # fmt: skip
def test_a_reply_on_one_channel_says_its_delivery_sentence_once(
    clinic_a,
    as_user,  # noqa: F811 - the fixture
    login,
    status,
    failure_kind,
    sentence,
    label,  # noqa: F811
):
    # given an approved reply on one channel (Google, not connected), failed or waiting
    draft = approved_reply(clinic_a, as_user, review_in(clinic_a))
    with schema_context(clinic_a.schema_name):
        OutboxItem.objects.filter(draft_id=draft["id"]).update(
            status=status, failure_kind=failure_kind
        )

    # when the clinic's approver reads the card
    card = _card(login, draft["id"])

    # then the sentence is said once, and the channel's row names the channel and its state
    assert card.count(sentence) == 1
    assert card.count("nothing is needed from you") == 1
    assert "not confirmed by the platform yet" not in card
    assert '<strong>google source</strong>:\n    <span class="pill' in card
    assert f">{label}</span>" in card
