"""The portal's approvals page says one count of its list: "Showing 1–3 of 3 waiting", the
lead line's number and the navigation's badge come from one count (`texts_waiting_counted`).
When some of the texts cannot be this person's to approve (their own, or one they gave an
earlier step), the lead names both numbers and why, where it said "2 replies wait for your
approval" above "Showing 1–3 of 3 waiting" (walk 18); the badge counts those for them."""

from __future__ import annotations

import re

from django_tenants.utils import schema_context

from portal.selectors import texts_waiting_counted
from responses.models import ReplyDraft, Statement
from tests.portal.helpers import access_for
from tests.portal.test_approval_queue_pages import _showing
from tests.responses.backlog import backlog_create

PAGE = "/clinics/clinic-a/portal/approvals/"


def _lead(html: str) -> str:
    found = re.search(r'<p class="lead" id="portal-lead"[^>]*>(.*?)</p>', html, re.S)
    return re.sub(r"\s+", " ", found.group(1)).strip()


def _badge(html: str, tab: str) -> str:
    found = re.search(rf'>{tab} <span class="badge"><span class="sr-only">\(</span>(\d+)', html)
    return found.group(1) if found else ""


def _backlog(clinic, world, *, replies: int, theirs: int):
    """`replies` at the clinic's step, the first `theirs` written by the clinic's approver."""
    with schema_context(clinic.schema_name):
        drafts, _ = backlog_create(replies=replies)
        ReplyDraft.objects.filter(pk__in=[d.pk for d in drafts[:theirs]]).update(
            author_label=f"user:{world.users['a_approver'].pk}"
        )


def test_the_lead_and_the_badge_agree_with_the_lists_count(world, clinic_a, login):
    _backlog(clinic_a, world, replies=3, theirs=1)

    html = login("a_approver").get(PAGE).content.decode()

    assert _showing(html) == "Showing 1–3 of 3 waiting"
    assert _lead(html) == (
        "3 replies wait for the clinic's approval, 2 of them for yours; another approver gives "
        "the rest: what you wrote or gave an earlier approval."
    )
    assert _badge(html, "Replies") == "2"
    with schema_context(clinic_a.schema_name):
        access = access_for(world.users["a_approver"], clinic_a)
        assert texts_waiting_counted(access, "replies") == {"waiting": 3, "yours": 2}


def test_all_theirs_or_none_theirs(world, clinic_a, login):
    _backlog(clinic_a, world, replies=2, theirs=2)
    html = login("a_approver").get(PAGE).content.decode()
    assert _showing(html) == "Showing 1–2 of 2 waiting"
    assert _lead(html) == (
        "2 replies wait for the clinic's approval, from another approver: you wrote them or "
        "gave them an earlier approval."
    )
    assert _badge(html, "Replies") == ""

    with schema_context(clinic_a.schema_name):
        ReplyDraft.objects.update(author_label="user:900001")
    html = login("a_approver").get(PAGE).content.decode()
    assert _lead(html) == "2 replies wait for your approval."
    assert _badge(html, "Replies") == "2"


def test_the_statements_lead_counts_as_its_list(world, clinic_a, login):
    with schema_context(clinic_a.schema_name):
        for n, author in enumerate(("user:900001", f"user:{world.users['a_approver'].pk}")):
            Statement.objects.create(
                title=f"Statement {n}", status="pending_client", version=1,
                route=["agency", "client"], author_label=author, author_name="Someone",
            )  # fmt: skip
    html = login("a_approver").get("/clinics/clinic-a/portal/statements/").content.decode()
    assert _lead(html) == (
        "2 statements wait for the clinic's approval, 1 of them for yours; another approver "
        "gives the rest: what you wrote or gave an earlier approval."
    )
    assert _badge(html, "Statements") == "1"
