"""The portal's forms and its follow-up link: a number they carry (the item acted on, the
version the person saw, the follow-up opened or noted, the fact confirmed) that is not one
is a 400 naming the field, and nothing changes (`core.http.int_param`); before, `?open=abc`
showed no follow-up and a garbled version skipped the check of the one the person saw."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from facts.models import FactVersion
from responses.models import AuditEntry, FollowUpMessage
from tests.responses.conftest import review_in

pytestmark = pytest.mark.django_db


def _state(clinic) -> tuple[int, int, int]:
    with schema_context(clinic.schema_name):
        return (
            AuditEntry.objects.count(),
            FollowUpMessage.objects.count(),
            FactVersion.objects.count(),
        )


@pytest.mark.parametrize(
    ("who", "path", "data", "field"),
    [
        ("a_legal", "override/", {"kind": "reply", "id": "x", "reason": "Fine."}, "id"),
        ("a_legal", "override/", {"kind": "reply", "id": "1", "action": "send_back",
                                  "comment": "No.", "expected_version": "x"}, "expected_version"),
        ("a_approver", "follow-ups/", {"conversation": "x", "action": "note", "text": "Hi"},
         "conversation"),
        ("a_approver", "facts/", {"fact": "x", "action": "confirm"}, "fact"),
        ("a_approver", "facts/", {"fact": "1", "action": "confirm", "expected_version": "v2"},
         "expected_version"),
    ],
    ids=["override-id", "override-version", "follow-up", "fact", "fact-version"],
)  # fmt: skip
def test_a_number_typed_wrong_is_a_400_naming_the_field_and_nothing_changes(
    clinic_a, login, who, path, data, field
):
    # given
    before = _state(clinic_a)

    # when
    answer = login(who, otp=False).post(f"/clinics/{clinic_a.slug}/portal/{path}", data)

    # then
    assert answer.status_code == 400
    assert f"Invalid input. “{field}”: A number." in answer.content.decode()
    assert _state(clinic_a) == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "reply", "id": "x", "action": "approve"}, "id"),
        ({"kind": "reply", "id": "1", "action": "approve", "expected_version": "-2"},
         "expected_version"),
    ],
    ids=["id", "version"],
)  # fmt: skip
def test_an_approval_card_refuses_a_number_typed_wrong_on_the_card_naming_the_field(
    clinic_a, login, data, field
):
    # the cards answer every refusal in place (htmx swaps a 200 only), as a wrong kind or action
    before = _state(clinic_a)

    answer = login("a_approver", otp=False).post(
        f"/clinics/{clinic_a.slug}/portal/act/", data, HTTP_HX_REQUEST="true"
    )

    assert answer.status_code == 200
    html = answer.content.decode()
    assert 'role="alert"' in html and f"Invalid input. “{field}”: A number." in html
    assert _state(clinic_a) == before


def test_the_follow_up_opened_is_shown_and_one_typed_wrong_is_a_400(clinic_a, login):
    review = review_in(clinic_a)
    started = login("alpha_writer").post(
        f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/private/",
        {"channel": "phone", "owner_id": ""},
    )
    pk = started["Location"].rstrip("/").rsplit("/", 1)[1]
    portal = f"/clinics/{clinic_a.slug}/portal/follow-ups/"
    approver = login("a_approver", otp=False)

    shown = approver.get(portal, {"open": pk})
    refused = approver.get(portal, {"open": f"{pk}abc"})
    unopened = approver.get(portal, {"open": ""})

    assert shown.status_code == 200 and 'id="thread-h"' in shown.content.decode()
    assert refused.status_code == 400
    assert "Invalid input. “open”: A number." in refused.content.decode()
    assert unopened.status_code == 200 and 'id="thread-h"' not in unopened.content.decode()
