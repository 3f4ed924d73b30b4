"""The agency dashboard's filters: find a clinic by name, narrow the list to a status (an open
incident, SLA breaches, approvals waiting, failed deliveries, calm, paused), most urgent first
by default or sorted by a column; all of it in the address; a parameter the page cannot read
is named (400) and nothing is listed; the page's queries do not grow with the clinics."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinics.models import Clinic
from dashboard.models import ClinicSnapshot
from dashboard.services import clinic_snapshot_refresh

URL = "/agency/"


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-clinic="([a-z0-9-]+)"', html)


def _clinic(agency, slug: str, name: str, *, snapshot: dict | None = None, **fields) -> Clinic:
    """A clinic row of `agency` (no schema: the dashboard reads the public rows only) with a
    snapshot holding `snapshot`'s figures (None: its figures are still being computed)."""
    clinic = Clinic.objects.create(
        agency=agency, slug=slug, name=name, schema_name=f"clinic_{slug.replace('-', '_')}",
        **fields,
    )  # fmt: skip
    if snapshot is not None:
        ClinicSnapshot.objects.create(
            clinic=clinic, agency=agency, refreshed_at=timezone.now(), **snapshot
        )
    return clinic


@pytest.fixture
def alpha(world, db):
    """The alpha agency with one clinic in each state; clinic A and B (the world's) have no
    snapshot here, so they count as "figures being computed"."""
    agency = world.clinics["a"].agency
    ClinicSnapshot.objects.filter(agency=agency).delete()
    now = timezone.now()
    _clinic(agency, "f-fire", "Fire Street Dental", snapshot={
        "open_incidents": 1, "unacknowledged_incidents": 1, "top_severity": 4,
        "top_severity_label": "critical", "oldest_unacknowledged_at": now - timedelta(minutes=9),
        "top_incident_id": 7, "top_incident_title": "Negative surge"})  # fmt: skip
    _clinic(agency, "f-late", "Late Lane Clinic", snapshot={"sla_breaches": 3})
    _clinic(agency, "f-queue", "Queue Road Pediatrics",
            snapshot={"awaiting_approval": 2, "awaiting_replies": 2})  # fmt: skip
    _clinic(agency, "f-broken", "Broken Bridge Ortho", snapshot={"failed_deliveries": 1})
    _clinic(agency, "f-quiet", "Quiet Corner Clinic", snapshot={"new_reviews": 4})
    _clinic(agency, "f-fresh", "Fresh Start Clinic")
    _clinic(agency, "f-gone", "Gone Away Dental", snapshot={"open_incidents": 1},
            deactivated_at=now - timedelta(days=2), deactivated_by_name="Alpha Owner")  # fmt: skip
    return agency


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("", ["f-fire", "f-late", "f-queue", "f-broken", "f-quiet",
              "clinic-a", "clinic-b", "f-fresh"]),
        ("attention", ["f-fire", "f-late", "f-queue", "f-broken"]),
        ("incident", ["f-fire"]),
        ("sla", ["f-late"]),
        ("approvals", ["f-queue"]),
        ("failed", ["f-broken"]),
        ("calm", ["f-quiet"]),
        ("paused", ["f-gone"]),
    ],
    ids=["every-active", "attention", "incident", "sla", "approvals", "failed", "calm", "paused"],
)  # fmt: skip
def test_each_status_lists_exactly_its_clinics(login, alpha, status, expected):
    response = login("alpha_manager").get(URL, {"status": status} if status else {})
    assert response.status_code == 200
    html = response.content.decode()
    assert _rows(html) == expected
    assert f'data-testid="total-clinics">{len(expected)}<' in html
    if status:
        # the choice shows in the form and in words; "Clear filters" goes back to every clinic
        assert f'<option value="{status}" selected>' in html
        assert 'data-testid="clear-filters"' in html and 'href="/agency/"' in html
    else:
        assert 'data-testid="clear-filters"' not in html


def test_a_paused_clinic_is_listed_only_under_paused_and_says_so(login, alpha):
    client = login("alpha_manager")
    html = client.get(URL, {"status": "paused"}).content.decode()
    row = html[html.index('<tr data-clinic="f-gone"') :]
    row = row[: row.index("</tr>")]
    assert "Deactivated on" in row and "by Alpha Owner" in row
    assert 'href="/clinics/f-gone/settings/leaving/"' in row
    assert 'id="deactivated-clinics"' not in html  # not listed twice
    # its old figures count in no status of the active clinics, and in no total
    assert "f-gone" not in _rows(client.get(URL, {"status": "incident"}).content.decode())
    totals = html[html.index('data-testid="totals"') : html.index("</ul>")]
    assert 'data-testid="total-clinics">1</strong> clinic paused or deactivated:' in totals
    assert "not watched, so counted in no figure" in totals
    assert 'data-testid="total-incidents"' not in totals


def test_the_status_comes_from_the_figures_the_apps_computed(login, clinic_a, clinic_b, rows):
    # given clinic A with an open incident and clinic B with only a happy review, their
    # snapshots refreshed through each app's selectors (crisis, feeds, inbox, responses)
    rows(clinic_a).incident(title="Surge at A")
    rows(clinic_b).review(hours_ago=1, rating=5, label="positive")
    clinic_snapshot_refresh(clinic=clinic_a)
    clinic_snapshot_refresh(clinic=clinic_b)
    client = login("alpha_analyst")
    # then A is the one with an open incident, B is calm
    assert _rows(client.get(URL, {"status": "incident"}).content.decode()) == ["clinic-a"]
    assert _rows(client.get(URL, {"status": "attention"}).content.decode()) == ["clinic-a"]
    assert _rows(client.get(URL, {"status": "calm"}).content.decode()) == ["clinic-b"]


def test_most_urgent_first_by_default_with_every_tie_broken(login, world):
    agency = world.clinics["a"].agency
    ClinicSnapshot.objects.filter(agency=agency).delete()
    now = timezone.now()
    high = {"open_incidents": 1, "top_severity": 3, "top_severity_label": "high"}
    _clinic(agency, "u-high-new", "A High New", snapshot={
        **high, "oldest_unacknowledged_at": now - timedelta(minutes=10)})  # fmt: skip
    _clinic(agency, "u-high-old", "B High Old", snapshot={
        **high, "oldest_unacknowledged_at": now - timedelta(minutes=40)})  # fmt: skip
    _clinic(agency, "u-high-ack", "C High Acknowledged", snapshot={**high, "sla_breaches": 9})
    _clinic(agency, "u-critical", "D Critical", snapshot={
        "open_incidents": 1, "top_severity": 4, "top_severity_label": "critical"})  # fmt: skip
    _clinic(agency, "u-breaches", "E Breaches", snapshot={"sla_breaches": 5})
    _clinic(agency, "u-breaches-waiting", "F Breaches Waiting",
            snapshot={"sla_breaches": 5, "awaiting_approval": 3})  # fmt: skip
    _clinic(agency, "u-waiting", "G Waiting", snapshot={"awaiting_approval": 9})
    _clinic(agency, "u-failed", "H Failed", snapshot={"failed_deliveries": 2})
    _clinic(agency, "u-calm", "I Calm", snapshot={})
    urgent = ["u-critical", "u-high-old", "u-high-new", "u-high-ack", "u-breaches-waiting",
              "u-breaches", "u-waiting", "u-failed", "u-calm", "clinic-a", "clinic-b"]  # fmt: skip
    client = login("alpha_writer")
    html = client.get(URL).content.decode()
    assert _rows(html) == urgent
    assert _rows(client.get(URL, {"sort": "urgency"}).content.decode()) == urgent
    # the page says what "most urgent" means; the Severity heading carries the sort state
    assert "Most urgent first: the most severe open incident first" in html
    assert '<input type="hidden" name="sort" value="urgency">' in html
    assert html.count('aria-sort="descending"') == 1
    assert 'href="?sort=severity" data-sort="severity"' in html  # activating it reverses
    # a column sort breaks its ties the same way, and offers the way back
    by_approvals = client.get(URL, {"sort": "-approvals"}).content.decode()
    assert _rows(by_approvals)[:3] == ["u-waiting", "u-breaches-waiting", "u-critical"]
    assert 'href="?sort=urgency" data-testid="sort-urgency">Sort most urgent first' in by_approvals


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "clinic"}, ["f-late", "f-quiet", "clinic-a", "clinic-b", "f-fresh"]),
        ({"q": "  LATE lane "}, ["f-late"]),
        ({"q": "dental"}, ["f-fire"]),  # the deactivated "Gone Away Dental" is not active
        ({"q": "clinic", "status": "calm"}, ["f-quiet"]),
        ({"q": "clinic", "sort": "-name"}, ["f-quiet", "f-late", "f-fresh", "clinic-b",
                                            "clinic-a"]),
        ({"status": "attention", "sort": "-sla"}, ["f-late", "f-fire", "f-queue", "f-broken"]),
        ({"status": "attention", "sort": "name"}, ["f-broken", "f-fire", "f-late", "f-queue"]),
    ],
    ids=["part-of-name", "any-case-trimmed", "active-only", "name-and-status", "name-sorted",
         "status-sorted", "status-by-name"],
)  # fmt: skip
def test_search_status_and_sort_combine(login, alpha, params, expected):
    response = login("alpha_owner").get(URL, params)
    assert response.status_code == 200
    assert _rows(response.content.decode()) == expected


def test_the_choice_lives_in_the_address_and_every_link_keeps_it(login, alpha):
    html = login("alpha_owner").get(URL, {"q": "clinic", "status": "calm"}).content.decode()
    # the form submits by GET what is shown
    form = html[html.index('aria-label="Find a clinic"') :]
    form = form[: form.index("</form>")]
    assert 'name="q" value="clinic"' in form
    assert '<option value="calm" selected>' in form
    assert '<input type="hidden" name="sort" value="urgency">' in form
    # the column links sort the same clinics
    assert 'href="?q=clinic&amp;status=calm&amp;sort=-sla" data-sort="sla"' in html
    assert "Showing: calm (no incident, breach, approval or failure)." in html


def test_no_clinic_matches_offers_to_clear_the_filters(login, alpha):
    client = login("alpha_owner")
    response = client.get(URL, {"q": "quiet", "status": "incident"})
    assert response.status_code == 200
    html = response.content.decode()
    assert _rows(html) == []
    empty = html[html.index('data-testid="no-match"') :]
    empty = empty[: empty.index("</td>")]
    assert "No clinic named like “quiet” has an open incident." in empty
    assert '<a href="/agency/">Clear filters</a>' in empty
    assert 'data-testid="total-clinics">0<' in html
    # a name that matches only a paused clinic says so and links to it
    html = client.get(URL, {"q": "gone away"}).content.decode()
    assert _rows(html) == []
    assert "1 paused or deactivated clinic matches the name" in html
    assert 'href="?q=gone%20away&amp;status=paused">show it</a>' in html


def _totals(html: str) -> str:
    """The summary line's text, tags dropped."""
    line = html[html.index('data-testid="totals"') :]
    return re.sub(
        r"\s+", " ", re.sub(r"<[^>]+>", "", line[line.index(">") + 1 : line.index("</ul>")])
    )


@pytest.mark.parametrize(
    ("params", "words", "figures"),
    [
        ({}, "8 clinics 4 unread reviews", {"new": 4, "incidents": 1, "sla": 3, "failed": 1}),
        ({"q": "lane"}, "1 clinic matching “lane”: 0 unread reviews",
         {"new": 0, "incidents": 0, "sla": 3, "failed": 0}),
        ({"q": "clinic"}, "5 clinics matching “clinic”: 4 unread reviews",
         {"new": 4, "incidents": 0, "sla": 3, "failed": 0}),
        ({"status": "incident"}, "1 clinic with an open incident: 0 unread reviews",
         {"new": 0, "incidents": 1, "sla": 0, "failed": 0}),
        ({"q": "fire", "status": "sla"}, "0 clinics matching “fire” with SLA breaches: 0 unread",
         {"new": 0, "incidents": 0, "sla": 0, "failed": 0}),
        ({"q": "o", "status": "attention"},
         "2 clinics matching “o” needing attention: 0 unread reviews (status New, of any date) 0 open incidents 2 awaiting",
         {"new": 0, "incidents": 0, "sla": 0, "failed": 1}),
    ],
    ids=["unfiltered", "one-by-name", "several-by-name", "by-status", "none", "name-and-status"],
)  # fmt: skip
def test_the_summary_line_sums_the_clinics_listed_and_says_so(
    login, alpha, monkeypatch, params, words, figures
):
    # given a page of one clinic: the totals are those of every page of the list
    monkeypatch.setattr("dashboard.views.DASHBOARD_PAGE", 1)
    html = login("alpha_manager").get(URL, params).content.decode()
    assert words in _totals(html)
    for name, value in figures.items():
        if name == "failed" and not value:  # named only when some delivery failed
            assert 'data-testid="total-failed"' not in html
        else:
            assert f'data-testid="total-{name}">{value}<' in html, name
    label = "Across the clinics listed" if params else "Across the agency"
    assert f'aria-label="{label}"' in html


def test_the_summary_line_of_a_limited_writer_sums_only_their_clinics(login, alpha, world):
    # given a writer limited to Late Lane (stored as the people page stores it)
    from agency.models import AgencyMembership, StaffClinic

    writer = AgencyMembership.objects.get(agency=alpha, user=world.users["alpha_writer"])
    AgencyMembership.objects.filter(pk=writer.pk).update(all_clinics=False)
    StaffClinic.objects.create(membership=writer, clinic=Clinic.objects.get(slug="f-late"))
    # then the name search lists, and sums, only the clinic they reach
    html = login("alpha_writer").get(URL, {"q": "clinic"}).content.decode()
    assert _rows(html) == ["f-late"]
    assert "1 clinic matching “clinic”: 0 unread reviews" in _totals(html)
    assert 'data-testid="total-sla">3<' in html


def test_a_status_reads_as_the_column_says_it(login, alpha):
    html = login("alpha_owner").get(URL, {"status": "sla"}).content.decode()
    assert "Showing: SLA breaches." in html
    caption = html[html.index("<caption") : html.index("</caption>")]
    assert "(SLA breaches)" in caption and "sla breaches" not in caption
    html = login("alpha_owner").get(URL, {"status": "incident"}).content.decode()
    assert "Showing: open incident." in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "north"}, "No clinic is named like “north”."),
        ({"status": "incident", "q": "quiet"}, "No clinic named like “quiet” has an open incident."),
        ({"q": "fire", "status": "calm"},
         "No clinic named like “fire” is calm (no incident, breach, approval or failure)."),
        ({"q": "quiet", "status": "sla"}, "No clinic named like “quiet” has SLA breaches."),
    ],
    ids=["name", "name-and-incident", "name-and-calm", "name-and-sla"],
)  # fmt: skip
def test_the_empty_list_names_every_filter(login, alpha, params, message):
    html = login("alpha_owner").get(URL, params).content.decode()
    empty = html[html.index('data-testid="no-match"') :]
    assert message in empty[: empty.index("</td>")]


def test_a_status_alone_that_lists_nothing_says_which(login, alpha):
    ClinicSnapshot.objects.filter(clinic__slug="f-broken").update(failed_deliveries=0)
    html = login("alpha_owner").get(URL, {"status": "failed"}).content.decode()
    empty = html[html.index('data-testid="no-match"') :]
    assert "No clinic has failed deliveries." in empty[: empty.index("</td>")]


def test_the_sentiment_column_says_the_period_of_its_figure(login, alpha):
    html = login("alpha_owner").get(URL).content.decode()
    head = html[html.index("<thead>") : html.index("</thead>")]
    assert ">Sentiment (7 d)<" in head and "14 d" not in head
    help_ = html[html.index('data-testid="sentiment-help"') :]
    help_ = help_[: help_.index("</p>")]
    assert "Sentiment (7 d): the mean sentiment of the last 7 days" in help_
    assert "the line shows each of the last 14 days" in help_


@pytest.mark.parametrize(
    ("params", "named", "message"),
    [
        ({"sort": "bogus"}, "Sort", "“bogus” is not a column the dashboard sorts by"),
        ({"sort": "-urgency"}, "Sort", "“-urgency” is not a column the dashboard sorts by"),
        ({"status": "angry"}, "Show", "“angry” is not a status the dashboard knows"),
        ({"q": "x" * 101}, "Clinic name", "At most 100 characters."),
        ({"page": "two"}, "Page", "Give a page number: 1, 2, 3…"),
        ({"page": "0"}, "Page", "Give a page number: 1, 2, 3…"),
        ({"colour": "red"}, "colour", "Unknown filter: the dashboard has no such filter."),
        ({"status": ["sla", "calm"]}, "Show", "Given more than once: choose one value."),
    ],
    ids=["unknown-sort", "urgency-one-way", "unknown-status", "long-name", "page-word",
         "page-zero", "unknown-parameter", "repeated"],
)  # fmt: skip
def test_a_parameter_the_page_cannot_read_is_named_and_nothing_is_listed(
    login, alpha, params, named, message
):
    response = login("alpha_owner").get(URL, params)
    assert response.status_code == 400
    html = response.content.decode()
    errors = html[html.index('data-testid="filter-errors"') :]
    errors = errors[: errors.index("</div>")]
    assert f"“{named}”: {message}" in errors
    assert '<a href="/agency/">Show every clinic</a>' in errors
    assert _rows(html) == []
    # the agency's totals still show, not a count of clinics found; the sort links leave
    # what it cannot read behind
    assert 'data-testid="total-incidents">1<' in html
    assert 'data-testid="total-clinics">–<' in html
    head = html[html.index("<thead>") : html.index("</thead>")]
    links = re.findall(r'<a class="sort" href="\?([^"]*)"', head)
    assert len(links) == 9
    for name in params:
        if name != "sort":
            assert all(f"{name}=" not in link for link in links), links


def test_filters_are_for_the_agencys_staff_only(login, client, alpha):
    for who in ("alpha_owner", "alpha_manager", "alpha_writer", "alpha_analyst"):
        response = login(who).get(URL, {"status": "incident"})
        assert response.status_code == 200, who
        assert _rows(response.content.decode()) == ["f-fire"], who
    for who in ("a_approver", "a_viewer"):
        assert login(who).get(URL, {"status": "incident"}).status_code == 404, who
    response = client.get(URL, {"status": "incident"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    # another agency's staff never see these clinics, whatever they filter
    html = login("beta_owner").get(URL, {"q": "fire"}).content.decode()
    assert _rows(html) == []


def _queries(client, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, params).status_code in (200, 400)
    return len(queries)


@pytest.mark.parametrize(
    "params",
    [{}, {"status": "attention", "sort": "-sla"}, {"q": "clinic", "status": "calm"},
     {"status": "paused"}, {"sort": "bogus"}, {"q": "clinic"},
     {"q": "clinic", "status": "attention"}],
    ids=["default", "status-sorted", "name-and-status", "paused", "bad-input", "name",
         "name-and-attention"],
)  # fmt: skip
def test_the_queries_do_not_grow_with_the_clinics(login, alpha, params):
    client = login("alpha_owner")
    client.get(URL)  # warm the session
    few = _queries(client, params)
    # given ten more clinics in every state
    for n in range(10):
        _clinic(alpha, f"g-{n}", f"Grown Clinic {n}", snapshot={
            "open_incidents": n % 2, "top_severity": n % 5, "sla_breaches": n % 3,
            "awaiting_approval": n % 4, "failed_deliveries": n % 2})  # fmt: skip
        _clinic(alpha, f"g-gone-{n}", f"Grown Gone {n}", snapshot={},
                deactivated_at=timezone.now())  # fmt: skip
    # then the page costs the same: one query for the rows, one for the totals (of the
    # clinics listed), one for the paused clinics, one for the count, whatever the number of
    # clinics
    assert _queries(client, params) == few
    # (17, and 4 for the owner's "Start here" panel: tests/dashboard/test_start_here.py)
    assert few <= 21
