"""The deactivation confirmation lists what the clinic leaves open (incidents, approvals,
facts waiting for the clinic, the automatic monthly report with its recipients, the on-call
list), each as a count with a link and what deactivating does to it."""

from __future__ import annotations

from html import unescape

import pytest
from django_tenants.utils import schema_context

from clinics.models import OnCall
from facts.models import Fact
from reports.models import ReportSettings
from responses.models import ReplyDraft

pytestmark = pytest.mark.django_db
URL = "/clinics/clinic-a/settings/leaving/deactivate/"


def _open_items(html: str) -> dict[str, str]:
    start = html.index('class="open-work"')
    block = html[start : html.index("</ul>", start)]
    items = {}
    for part in block.split('<li data-open="')[1:]:
        key, rest = part.split('">', 1)
        items[key] = unescape(rest.split("</li>", 1)[0])
    return items


def test_the_confirmation_lists_what_is_open_with_links(world, clinic_a, rows, login):
    # given a clinic with an unacknowledged incident and one acknowledged, a reply waiting for
    # approval, a fact waiting for the clinic, the automatic report on with a board address,
    # and two people on call
    r = rows(clinic_a)
    r.incident(status="open", severity="critical")
    r.incident(status="acknowledged")
    review = r.review(rating=1)
    with schema_context(clinic_a.schema_name):
        ReplyDraft.objects.create(
            review=review, author_label="user:1", author_name="W", status="pending_agency"
        )
        Fact.objects.filter(slug="licences").update(
            statement="Licensed by the state board.", clinic_review="waiting"
        )
    ReportSettings.objects.create(
        clinic=clinic_a, send_monthly=True, extra_recipients=["board@clinic-a.example"]
    )
    OnCall.objects.create(clinic=clinic_a, user=world.users["alpha_manager"], position=0)
    OnCall.objects.create(clinic=clinic_a, user=world.users["alpha_owner"], position=1)

    # when the owner opens the confirmation
    page = login("alpha_owner").get(URL)

    # then each open thing is named with its count, its link and what deactivating does
    assert page.status_code == 200
    items = _open_items(page.content.decode())
    assert list(items) == ["incidents", "approvals", "facts", "report", "on_call"]
    assert items["incidents"].startswith(
        '<a href="/clinics/clinic-a/incidents/">2 open incidents (1 not acknowledged)</a>. '
        "They stay open but leave the dashboard"
    )
    assert items["approvals"].startswith(
        '<a href="/clinics/clinic-a/replies/">1 reply waiting for approval</a>. '
        "They stay where they are"
    )
    assert items["facts"].startswith(
        '<a href="/clinics/clinic-a/facts/">1 fact waits for the clinic\'s confirmation</a>.'
    )
    assert items["report"] == (
        '<a href="/clinics/clinic-a/settings/report/">The monthly report is sent automatically '
        "(to the clinic's approvers and 1 other address)</a>. The schedule is suspended: no "
        "report is sent while the clinic is deactivated."
    )
    manager, owner = world.users["alpha_manager"], world.users["alpha_owner"]
    assert items["on_call"].startswith(
        '<a href="/clinics/clinic-a/settings/alerts/">On-call list: '
        f"{manager.full_name}, {owner.full_name}</a>. They are no longer alerted"
    )


def test_the_confirmation_says_when_nothing_is_open(clinic_a, login):
    html = unescape(login("alpha_owner").get(URL).content.decode())
    assert "Nothing is open: no incident, nothing waiting for approval" in html
