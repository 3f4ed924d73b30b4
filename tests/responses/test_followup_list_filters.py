"""The lists of follow-ups read their filters as every other list does: the staff page's
`show` (`responses.selectors.followups_shown`, validated by `FollowUpShowSerializer`) and the
API's `status`, `owner_id` and `overdue` (`query_params_validated`). Each view lists what it
says; a value it cannot read, a parameter it does not know or one given twice is a 400 naming
it, and nothing is listed (never the open ones, as if nothing had been asked)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from responses.models import PrivateConversation
from tests.responses.conftest import review_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def followups(clinic_a, world) -> dict[str, int]:
    """One follow-up of each kind: open and mine, overdue (someone else's), closed."""
    me = world.users["alpha_writer"].pk
    other = world.users["alpha_manager"].pk
    now = timezone.now()
    made = {}
    for name, status, owner, due in [
        ("mine", "invited", me, now + timedelta(days=1)),
        ("overdue", "open", other, now - timedelta(hours=1)),
        ("closed", "resolved", me, now - timedelta(days=2)),
    ]:
        review = review_in(clinic_a)
        with schema_context(clinic_a.schema_name):
            made[name] = PrivateConversation.objects.create(
                review=review, channel="phone", status=status, owner_id=owner, due_at=due,
                opened_by_label="user:1",
            ).pk  # fmt: skip
    return made


def _listed(html: str, followups: dict[str, int]) -> set[str]:
    return {name for name, pk in followups.items() if f"Follow-up #{pk}<" in html}


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({}, {"mine", "overdue"}),
        ({"show": "open"}, {"mine", "overdue"}),
        ({"show": "overdue"}, {"overdue"}),
        ({"show": "mine"}, {"mine"}),
        ({"show": "all"}, {"mine", "overdue", "closed"}),
    ],
    ids=["default", "open", "overdue", "mine", "all"],
)
def test_each_view_of_the_page_lists_what_it_says(clinic_a, login, followups, query, shown):
    answer = login("alpha_writer").get(f"/clinics/{clinic_a.slug}/follow-ups/", query)

    assert answer.status_code == 200
    html = answer.content.decode()
    assert _listed(html, followups) == shown
    assert 'data-testid="filter-errors"' not in html
    current = query.get("show", "open")
    assert f'href="?show={current}" aria-current="page"' in html


@pytest.mark.parametrize(
    ("query", "said"),
    [
        (
            {"show": "closed"},
            "“show”: “closed” is not a view of this list: choose open, overdue, mine, all.",
        ),
        ({"show": ["open", "all"]}, "“show”: Give one value."),
        ({"owner": "5"}, "“owner”: Unknown parameter."),
    ],
    ids=["unknown-view", "twice", "unknown-parameter"],
)
def test_a_filter_the_page_cannot_read_is_a_400_naming_it_and_lists_nothing(
    clinic_a, login, followups, query, said
):
    answer = login("alpha_writer").get(f"/clinics/{clinic_a.slug}/follow-ups/", query)

    assert answer.status_code == 400
    html = answer.content.decode()
    assert 'data-testid="filter-errors"' in html and said in html
    assert _listed(html, followups) == set()


API = "/clinics/clinic-a/api/v1/private-conversations/"


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({}, {"mine", "overdue", "closed"}),
        ({"status": "resolved"}, {"closed"}),
        ({"owner_id": "{me}"}, {"mine", "closed"}),
        ({"overdue": "true"}, {"overdue"}),
        ({"overdue": "false"}, {"mine", "overdue", "closed"}),
    ],
    ids=["none", "status", "owner", "overdue", "not-overdue"],
)
def test_each_filter_of_the_api_lists_what_it_says(clinic_a, login, world, followups, query, shown):
    me = str(world.users["alpha_writer"].pk)
    params = {k: v.replace("{me}", me) for k, v in query.items()}

    answer = login("alpha_manager").get(API, params)

    assert answer.status_code == 200, answer.content
    ids = {item["id"] for item in answer.json()["results"]}
    assert ids == {followups[name] for name in shown}


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"status": "lost"}, {"status"}),
        ({"owner_id": "abc"}, {"owner_id": ["A number."]}),
        ({"owner_id": "-1"}, {"owner_id": ["A number."]}),
        ({"overdue": "maybe"}, {"overdue": ["true or false."]}),
        ({"status": ["open", "invited"]}, {"status": ["Give one value."]}),
        ({"owner": "5"}, {"owner": ["Unknown parameter."]}),
    ],
    ids=["status", "owner-word", "owner-negative", "overdue", "repeated", "unknown"],
)
def test_a_filter_the_api_cannot_read_is_a_400_naming_it(clinic_a, login, followups, query, fields):
    answer = login("alpha_manager").get(API, query)

    assert answer.status_code == 400
    body = answer.json()
    assert (body["detail"], body["code"]) == ("Invalid input.", "invalid")
    if isinstance(fields, dict):
        assert body["fields"] == fields
    else:
        assert set(body["fields"]) == fields
        assert "resolved" in body["fields"]["status"][0]
