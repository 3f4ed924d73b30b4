"""The reason legal gives to lift a privacy block follows one rule (`core.text.reason_problem`):
the form's help, its HTML attributes (and the browser's message, `data-rule`) and the server's
answer say the same, in the portal and on the agency's editor."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django_tenants.utils import schema_context

from core.text import MIN_REASON_CHARS, REASON_RULE, reason_problem
from responses.models import AuditEntry, ReplyDraft
from responses.services import replies as reply_services
from tests.portal.helpers import access_for
from tests.responses.conftest import BLOCK_TEXT, review_in

REVIEW = "/clinics/clinic-a/portal/review/"
OVERRIDE = "/clinics/clinic-a/portal/override/"


@pytest.fixture
def blocked(world, clinic_a) -> ReplyDraft:
    with schema_context(clinic_a.schema_name):
        writer = access_for(world.users["alpha_writer"], clinic_a)
        draft = reply_services.reply_draft_create(
            review_id=review_in(clinic_a).pk, access=writer, text=BLOCK_TEXT
        )
        return reply_services.reply_submit(draft_id=draft.pk, access=writer)


def _reason_field(html: str, draft: ReplyDraft) -> tuple[str, str]:
    """(the reason's textarea tag, its help line) on the card of `draft`."""
    tag = re.search(rf'<textarea id="reason-reply-{draft.pk}"[^>]*>', html).group(0)
    help_id = re.search(r'aria-describedby="([^"]+)"', tag).group(1)
    help_line = re.search(rf'<p class="muted" id="{help_id}">([^<]*)</p>', html).group(1)
    return tag, help_line


def test_the_help_the_attributes_and_the_servers_answer_are_one_rule(blocked, clinic_a, login):
    client = login("a_legal")
    tag, help_line = _reason_field(client.get(REVIEW).content.decode(), blocked)

    assert help_line == REASON_RULE
    assert f'minlength="{MIN_REASON_CHARS}"' in tag and "required" in tag
    assert f'data-rule="{REASON_RULE}"' in tag

    # what the browser lets through but the server refuses says the same rule
    for typed in ("ok ok ok", "fine."):
        assert reason_problem(typed) == REASON_RULE
        refused = client.post(OVERRIDE, {"kind": "reply", "id": blocked.pk, "reason": typed})
        assert refused.status_code == 400
        assert REASON_RULE in refused.content.decode()
    repeated = client.post(
        OVERRIDE, {"kind": "reply", "id": blocked.pk, "reason": "ok ok ok ok ok"}
    )
    assert "a repeated word or character is not a reason" in repeated.content.decode()
    with schema_context(clinic_a.schema_name):
        assert not AuditEntry.objects.filter(action="guard_overridden").exists()


def test_the_agencys_override_form_says_the_same_rule(blocked, clinic_a):
    # the editor's form (shown to whoever holds the legal override there)
    html = render_to_string(
        "responses/_override_form.html",
        {"kind": "reply", "obj": blocked, "clinic": clinic_a, "next": "/"},
    )

    tag = re.search(rf'<textarea id="override-reply-{blocked.pk}"[^>]*>', html).group(0)
    assert f'minlength="{MIN_REASON_CHARS}"' in tag and f'data-rule="{REASON_RULE}"' in tag
    assert 'aria-describedby="override-help-reply-' in tag
    assert f'<p class="muted" id="override-help-reply-{blocked.pk}">{REASON_RULE}</p>' in html
