"""The dashboard sorts one way: the column headings' links (keyboard reachable, with the sort
state announced), no second "Sort by" dropdown; searching by name keeps the chosen sort."""

from __future__ import annotations

import re

from dashboard.services import clinic_snapshot_refresh


def test_the_column_links_are_the_only_way_to_sort(login, clinic_a, rows):
    rows(clinic_a).review(hours_ago=1, label="positive")
    clinic_snapshot_refresh(clinic=clinic_a)
    html = login("alpha_manager").get("/agency/?sort=-sla").content.decode()
    assert 'id="sort-pick"' not in html and "Sort by" not in html
    links = re.findall(r'<a class="sort" href="\?sort=(-?\w+)" data-sort="(\w+)">', html)
    assert [key for _, key in links] == ["name", "severity", "new", "rating", "trend",
                                         "incidents", "approvals", "failed", "sla"]  # fmt: skip
    assert {key: sort for sort, key in links}["sla"] == "sla"  # activate again: reverse
    assert '<th scope="col" aria-sort="descending">' in html
    # the name search keeps the chosen sort
    form = html[html.index('aria-label="Find a clinic"') :]
    assert '<input type="hidden" name="sort" value="-sla">' in form[: form.index("</form>")]
