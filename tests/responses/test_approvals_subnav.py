"""The approvals group's row under the clinic's tabs lists only what the tabs do not (the
approvals log, for those who may read it, and the private follow-ups), marks the page shown,
and each of its links opens."""

from __future__ import annotations

import re

import pytest

A = "/clinics/clinic-a/"
GROUP = ["replies/", "statements/", "outbox/", "approvals-log/", "follow-ups/"]


def _nav(html: str, opening: str) -> list[tuple[str, bool, str]]:
    """(href, marked current, label) of each link of the first <nav ...{opening}...>."""
    nav = re.search(rf"<nav {opening}[^>]*>(.*?)</nav>", html, re.S)
    assert nav, opening
    return [
        (href, bool(current), label)
        for href, current, label in re.findall(
            r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>', nav.group(1)
        )
    ]


@pytest.mark.parametrize("page", GROUP)
def test_the_row_repeats_no_tab_and_marks_the_page_shown(login, page):
    client = login("alpha_owner")
    html = client.get(A + page).content.decode()
    tabs = _nav(html, 'class="tabs"')
    group = _nav(html, 'class="subnav" aria-label="Replies and statements"')
    assert [label for _, _, label in group] == ["Approvals log", "Private follow-ups"]
    assert not {href for href, _, _ in group} & {href for href, _, _ in tabs}
    # the page shown is marked once, in the tabs or in the row
    marked = [href for href, current, _ in tabs + group if current]
    assert marked == [A + page]
    for href, _, label in group:
        assert client.get(href).status_code == 200, label


def test_without_the_log_the_row_keeps_the_follow_ups(login):
    html = login("alpha_writer").get(A + "outbox/").content.decode()
    group = _nav(html, 'class="subnav" aria-label="Replies and statements"')
    assert group == [(A + "follow-ups/", False, "Private follow-ups")]
