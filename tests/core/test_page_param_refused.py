"""Every numbered list page reads `page` by the one rule (`core.paging.page_get`): a value that
is not a page number is a 400 naming it, never quietly another page (the inbox, the staff and
portal incident lists and the agency's logs answered 200 with the first or last page for
"abc", "-1" or "1.5", found by a bad-input sweep)."""

from __future__ import annotations

import pytest

PAGES = [
    ("alpha_manager", "/clinics/clinic-a/inbox/"),
    ("alpha_manager", "/clinics/clinic-a/incidents/"),
    ("alpha_manager", "/clinics/clinic-a/approvals-log/"),
    ("alpha_manager", "/clinics/clinic-a/settings/history/"),
    ("a_approver", "/clinics/clinic-a/portal/incidents/"),
    ("alpha_owner", "/agency/settings/history/"),
    ("alpha_owner", "/agency/privacy/requests/"),
    ("alpha_owner", "/agency/security-log/"),
]


@pytest.mark.parametrize(("who", "path"), PAGES)
@pytest.mark.parametrize("page", ["abc", "-1", "%EF%BC%92"])
def test_a_page_that_is_not_a_number_is_refused(login, who, path, page):
    response = login(who).get(f"{path}?page={page}")
    assert response.status_code == 400
    assert 'data-testid="param-refused"' in response.content.decode()


@pytest.mark.parametrize(("who", "path"), PAGES)
def test_a_page_number_and_one_past_the_end_are_read(login, who, path):
    client = login(who)
    assert client.get(f"{path}?page=1").status_code == 200
    assert client.get(f"{path}?page=99").status_code == 200  # the last page, as before
