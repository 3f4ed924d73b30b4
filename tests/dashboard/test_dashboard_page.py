"""The agency dashboard page: who sees it, what it shows, sorting, and its query budget."""

from __future__ import annotations

import re

import pytest

from dashboard.models import ClinicSnapshot
from dashboard.services import clinic_snapshot_refresh


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-clinic="([a-z0-9-]+)"', html)


@pytest.fixture
def snapshots(clinic_a, clinic_b, rows):
    a = rows(clinic_a)
    a.review(hours_ago=30, rating=1, label="negative")
    a.incident(title="Surge at A")
    b = rows(clinic_b)
    b.review(hours_ago=1, rating=5, label="positive")
    b.review(hours_ago=2, rating=4, label="positive")
    return clinic_snapshot_refresh(clinic=clinic_a), clinic_snapshot_refresh(clinic=clinic_b)


def test_staff_see_every_clinic_of_their_agency_only(login, snapshots):
    response = login("alpha_analyst").get("/agency/")
    assert response.status_code == 200
    html = response.content.decode()
    assert _rows(html) == ["clinic-a", "clinic-b"]  # default: most open incidents first
    assert "clinic-c" not in html
    snap_a = snapshots[0]
    assert f'href="/clinics/clinic-a/incidents/{snap_a.top_incident_id}/"' in html
    assert 'aria-sort="descending"' in html
    assert 'data-testid="total-incidents">1<' in html


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["clinic-a", "clinic-b"]),
        ("-name", ["clinic-b", "clinic-a"]),
        ("-new", ["clinic-b", "clinic-a"]),
        ("rating", ["clinic-a", "clinic-b"]),
        ("-rating", ["clinic-b", "clinic-a"]),
        ("-sla", ["clinic-a", "clinic-b"]),
        ("incidents", ["clinic-b", "clinic-a"]),
        ("urgency", ["clinic-a", "clinic-b"]),  # a bad sort: tests/dashboard/test_filters.py
    ],
)
def test_sorting_by_any_column(login, snapshots, sort, expected):
    html = login("alpha_writer").get("/agency/", {"sort": sort}).content.decode()
    assert _rows(html) == expected


def test_sort_state_is_announced(login, snapshots):
    html = login("alpha_owner").get("/agency/", {"sort": "rating"}).content.decode()
    header = re.search(
        r'<th scope="col" aria-sort="(\w+)">\s*<a class="sort" href="\?sort=(-?\w+)" data-sort="rating"',
        html,
    )
    assert header is not None
    assert header.group(1) == "ascending" and header.group(2) == "-rating"  # activating reverses
    assert html.count("aria-sort=") == 1


def test_search_by_name(login, snapshots):
    html = login("alpha_owner").get("/agency/", {"q": "clinic b"}).content.decode()
    assert _rows(html) == ["clinic-b"]


def test_a_clinic_without_a_snapshot_is_still_listed(login, snapshots, clinic_b):
    ClinicSnapshot.objects.filter(clinic=clinic_b).delete()
    html = login("alpha_owner").get("/agency/", {"sort": "-sla"}).content.decode()
    assert _rows(html) == ["clinic-a", "clinic-b"]
    assert "Figures are being computed" in html


def test_sparkline_has_a_text_alternative(login, snapshots):
    html = login("alpha_owner").get("/agency/").content.decode()
    # its <title>: the image's name for screen readers and its tooltip, written once
    assert re.search(
        r'<svg class="spark[^"]*"[^>]*role="img"><title>Sentiment over 14 days, from ', html
    )
    assert 'aria-label="Sentiment over' not in html


def test_clients_and_strangers_are_refused(login, client, snapshots):
    assert login("a_approver").get("/agency/").status_code == 404  # outside the agency
    response = client.get("/agency/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_other_agency_sees_its_own(login, snapshots, clinic_c):
    clinic_snapshot_refresh(clinic=clinic_c)
    html = login("beta_owner").get("/agency/").content.decode()
    assert _rows(html) == ["clinic-c"]


def test_the_page_costs_a_fixed_number_of_queries(login, snapshots, django_assert_max_num_queries):
    client = login("alpha_owner")
    client.get("/agency/")  # warm the session
    # session, user, OTP device, staff role, the user's agencies, branding, navigation (role, clinics), page count,
    # the rows (one query whatever the number of clinics), the totals, the session's save,
    # the incident banner (one indexed query); the owner's "Start here" panel (4: its state,
    # the staff with their two-factor, the agency's keys, what waits for them)
    with django_assert_max_num_queries(20):
        assert client.get("/agency/").status_code == 200


def test_clinic_switcher_opens_a_reachable_clinic_only(login, clinic_a):
    client = login("alpha_writer")
    response = client.get("/agency/go/", {"clinic": "clinic-a", "section": "inbox/"})
    assert response.status_code == 302 and response["Location"] == "/clinics/clinic-a/inbox/"
    response = client.get("/agency/go/", {"clinic": "clinic-c"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_staff_of_two_agencies_pick_one(login, world, snapshots, clinic_c):
    from agency.models import AgencyMembership

    AgencyMembership.objects.create(
        agency=world.agencies["beta"], user=world.users["alpha_owner"], role="analyst"
    )
    clinic_snapshot_refresh(clinic=clinic_c)
    client = login("alpha_owner")
    html = client.get("/agency/").content.decode()
    assert _rows(html) == ["clinic-a", "clinic-b"] and 'id="agency-pick"' in html
    assert _rows(client.get("/agency/", {"agency": "beta"}).content.decode()) == ["clinic-c"]
    # the role is the one held in that agency: an analyst there may not manage its keys
    assert client.get("/agency/settings/api-keys/", {"agency": "beta"}).status_code == 403


def test_half_signed_in_staff_see_no_navigation(login):
    client = login("alpha_owner", otp=False)
    response = client.get("/account/two-factor/verify/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-label="Main"' not in html and 'aria-label="Breadcrumb"' not in html
    assert 'aria-label="Main"' in login("alpha_owner").get("/agency/").content.decode()


def test_the_search_keeps_the_column_sort(login, snapshots):
    # one way to sort (the column links, tests/dashboard/test_sort_one_way.py): the name
    # search carries the chosen sort, and no clinic is current in the switcher
    html = login("alpha_owner").get("/agency/", {"sort": "-sla"}).content.decode()
    assert '<input type="hidden" name="sort" value="-sla">' in html
    assert html.count(" selected>") == 0


def test_the_clinic_overview_names_review_statuses_in_words(clinic_a, rows, login):
    a = rows(clinic_a)
    a.review(status="needs_reply")
    a.review(status="new")
    html = login("alpha_writer").get("/clinics/clinic-a/").content.decode()
    status = html[html.index('id="status-h"') :]
    status = status[: status.index("</section>")]
    assert "Needs reply: 1" in status and "New: 1" in status
    assert "needs_reply" not in status
