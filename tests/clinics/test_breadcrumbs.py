"""A clinic page's breadcrumb names the clinic once, and the fact sheet, a tab of its own,
shows no other group's sub-navigation (walk 12, finding 10)."""

from __future__ import annotations

import re

import pytest

PAGES = ["", "inbox/", "incidents/", "replies/", "statements/", "facts/", "report/", "outbox/",
         "imports/", "follow-ups/", "settings/", "settings/people/", "settings/alerts/",
         "settings/templates/", "sources/", "settings/leaving/"]  # fmt: skip


def _crumbs(html: str) -> list[str]:
    nav = re.search(r'<nav class="crumbs" aria-label="Breadcrumb"><ol>(.*?)</ol></nav>', html, re.S)
    assert nav
    return [
        " ".join(re.sub(r"<[^>]+>", "", li).split())
        for li in re.findall(r"<li[^>]*>(.*?)</li>", nav.group(1), re.S)
    ]


@pytest.mark.parametrize("page", PAGES)
def test_the_breadcrumb_names_the_clinic_once(login, clinic_a, page):
    response = login("alpha_owner").get(f"/clinics/{clinic_a.slug}/{page}")
    assert response.status_code == 200, page
    crumbs = _crumbs(response.content.decode())
    assert crumbs[:2] == ["Dashboard", "Clinic A"]
    assert crumbs.count("Clinic A") == 1, crumbs


def test_the_fact_sheet_is_its_own_group(login, clinic_a):
    client = login("alpha_owner")
    facts = client.get(f"/clinics/{clinic_a.slug}/facts/").content.decode()
    assert _crumbs(facts) == ["Dashboard", "Clinic A", "Fact sheet"]
    assert 'aria-label="Replies and statements"' not in facts
    assert re.search(
        r'<a href="/clinics/clinic-a/facts/" aria-current="page">Fact sheet</a>', facts
    )
    # the approvals group's row lists its own pages, not the fact sheet
    replies = client.get(f"/clinics/{clinic_a.slug}/replies/").content.decode()
    group = re.search(
        r'<nav class="subnav" aria-label="Replies and statements">(.*?)</nav>', replies, re.S
    )
    assert group and "/facts/" not in group.group(1)
