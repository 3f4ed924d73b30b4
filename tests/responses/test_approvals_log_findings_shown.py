"""The privacy check's findings of a block overridden or kept, on every page of the approvals
log (the clinic's staff page, the agency's page, the portal's), as its CSV file and API give
them: one short line each (blocks or to check, the kind of finding, the words found), in a
labelled list, escaped; the other decisions show none."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django_tenants.utils import schema_context

from responses.models import AuditEntry
from tests.agency.test_agency_approvals_log import OVERRIDE, clock, decided  # noqa: F401

HOSTILE = '<img src=x onerror="alert(1)">Lee'


def _row(html: str, element_id: str) -> str:
    """The HTML of the row (a table row or a portal card) with this id."""
    found = re.search(rf'id="{element_id}"(.*?)</(tr|li)>\s*(<tr|<li class="card"|</tbody|</ol)',
                      html, re.S)  # fmt: skip
    assert found is not None, element_id
    return found.group(1)


def _entries(clinic, *actions) -> list[AuditEntry]:
    with schema_context(clinic.schema_name):
        return list(AuditEntry.objects.filter(action__in=actions).order_by("pk"))


def _lines(findings: list[dict]) -> list[str]:
    """Each finding as the pages say it."""
    return [
        ("Blocks" if f["severity"] == "block" else "To check")
        + f": {f['kind'].replace('_', ' ')}"
        + (f" ({f['subtype'].replace('_', ' ')})" if f["subtype"] else "")
        + (f" — “{f['text']}”" if f["text"] else "")
        for f in findings
    ]


def _shown(row_html: str) -> list[str]:
    box = re.search(r'data-testid="findings">(.*?)</div>', row_html, re.S)
    if box is None:
        return []
    assert '<ul aria-label="What the privacy check found">' in box.group(1)
    return [
        unescape(re.sub(r"<[^>]+>", "", item))
        for item in re.findall(r"<li[^>]*>(.*?)</li>", box.group(1), re.S)
    ]


@pytest.mark.parametrize(
    "page",
    ["clinic", "agency", "portal"],
)
@pytest.mark.usefixtures("decided")  # tests/agency/test_agency_approvals_log.py
def test_each_page_shows_the_findings_of_an_override_and_a_block_kept(login, clinic_a, page):
    # given: the findings each decision recorded, as the clinic's API gives them
    api = login("alpha_manager").get("/clinics/clinic-a/api/v1/approvals-log/").json()
    findings = {row["id"]: row["findings"] for row in api["results"]}
    (override,) = _entries(clinic_a, "guard_overridden")
    (kept,) = _entries(clinic_a, "override_refused")
    assert findings[override.pk] and findings[kept.pk]
    others = [pk for pk, found in findings.items() if pk not in (override.pk, kept.pk)]

    # when
    reader, url, prefix = {
        "clinic": ("alpha_manager", "/clinics/clinic-a/approvals-log/", "decision-"),
        "agency": ("alpha_manager", "/agency/approvals-log/", f"decision-{clinic_a.pk}-"),
        "portal": ("a_legal", "/clinics/clinic-a/portal/approvals-log/", "decision-"),
    }[page]
    response = login(reader).get(url)

    # then: each block decision says what was found, the override with its reason
    assert response.status_code == 200
    html = response.content.decode()
    for entry in (override, kept):
        assert _shown(_row(html, f"{prefix}{entry.pk}")) == _lines(findings[entry.pk])
    assert OVERRIDE in _row(html, f"{prefix}{override.pk}")
    # and the other decisions show none
    for pk in others:
        if f'id="{prefix}{pk}"' in html:
            assert 'data-testid="findings"' not in _row(html, f"{prefix}{pk}")


@pytest.mark.parametrize(
    ("reader", "url", "prefix"),
    [
        ("alpha_manager", "/clinics/clinic-a/approvals-log/", "decision-"),
        ("alpha_owner", "/agency/approvals-log/", "decision-{clinic}-"),
        ("a_legal", "/clinics/clinic-a/portal/approvals-log/", "decision-"),
    ],
    ids=["clinic", "agency", "portal"],
)
def test_the_words_found_are_escaped(world, login, clinic_a, reader, url, prefix):
    # given: an override whose recorded finding holds markup
    with schema_context(clinic_a.schema_name):
        entry = AuditEntry.objects.create(
            object_type="statement", object_id=987654, action="guard_overridden",
            actor_label=f"user:{world.users['a_legal'].pk}", actor_name="Lee Legal", version=1,
            comment="Published by the patient.",
            detail={"role": "Legal / compliance", "findings": [
                {"kind": "identifier", "subtype": "person", "severity": "block", "start": 0,
                 "end": 5, "text": HOSTILE},
            ]},
        )  # fmt: skip

    # when
    html = login(reader).get(url).content.decode()

    # then
    row = _row(html, prefix.format(clinic=clinic_a.pk) + str(entry.pk))
    assert HOSTILE not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;Lee" in row
    assert _shown(row) == [f"Blocks: identifier (person) — “{HOSTILE}”"]
