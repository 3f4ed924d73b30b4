"""The reply editor never loses work, and the fact sheet page, in a real Chromium: Submit with
unsaved edits saves the typed text and submits it; Submit is off with a one-line reason while
the guard blocks the text; "Apply all fixes" gives clean text that passes the guard; the fact
sheet page adds, edits, confirms, deactivates and restores facts with their history."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.fixtures.browser import screenshot, serious_violations, sign_in

OK_TEXT = "Thank you for the feedback. Please contact us at +1 555 0100 so we can help."
TYPED = "Thanks for telling us. We are looking into waiting times; please call +1 555 0100."
ISSUE_TEXT = (
    "Hi Sam, we reviewed your chart from your visit on 10/14. "
    "Dr. Hanley says your root canal went fine and you are wrong about the pain! "
    "This never happened. Call me at 512-778-3310 or jess.h@gmail.com. "
    "We appreciate your concerns with the billing."
)
FIXED = (
    "We appreciate your concerns with the billing. Please contact us directly at +1 555 0100 "
    "so we can help."
)


def _review(tenant, *, text: str, kind: str = "google"):
    from feeds.models import Review, Source
    from tests.fixtures.rows import score_add

    names = {"google": "Google Business Profile", "x": "X mentions"}
    with tenant.schema():
        source = Source.objects.get_or_create(
            kind=kind, name=names[kind], defaults={"enabled": False}
        )[0]
        review = Review.objects.create(
            source=source,
            external_id=f"ed-{Review.objects.count() + 1}",
            author_name="Sam R.",
            rating=2,
            text=text,
            published_at=timezone.now() - timedelta(hours=3),
        )
        score_add(
            review=review,
            model_version="browser-test",
            label="negative",
            score=-0.7,
            topics=[{"name": "wait_time", "triggers": ["waited"]}],
            flags=[],
        )
    return review


def _draft(tenant, review, text: str):
    from accounts.actors import Actor
    from clinics.access import clinic_access
    from responses.services.replies import reply_draft_create

    with tenant.schema():
        access = clinic_access(Actor(user=tenant.users["writer"]), tenant.clinic)
        return reply_draft_create(review_id=review.pk, access=access, text=text)


def _editor(page, server, tenant, review):
    sign_in(page, server, tenant.users["writer"], totp=tenant.devices["writer"])
    page.goto(server.url(f"/clinics/{tenant.clinic.slug}/replies/review/{review.pk}/"))
    return page.get_by_label(re.compile("^Reply text"))


def _guard_says(page, word: str) -> None:
    page.wait_for_function(
        "(w) => { const l = document.querySelector('#guard-live'); "
        "return l && l.textContent.includes('Guard verdict: ' + w); }",
        arg=word,
        timeout=30_000,
    )


@pytest.mark.browser
def test_submit_with_unsaved_edits_saves_the_typed_text_first(
    browser_server, new_page, committed_tenant
):
    from responses.models import ReplyDraft

    tenant = committed_tenant()
    review = _review(tenant, text="Waited an hour past my appointment time.")
    draft = _draft(tenant, review, OK_TEXT)
    page = new_page("desktop")
    box = _editor(page, browser_server, tenant, review)
    assert box.input_value() == OK_TEXT
    assert "your draft, version 1" in page.locator("#loaded").inner_text()

    # when: the writer types a new text and presses Submit without saving
    box.fill(TYPED)
    assert page.locator("#loaded-edited").is_visible()
    _guard_says(page, "OK")
    page.get_by_role("button", name="Save and submit for approval").click()
    page.wait_for_load_state()

    # then: what was typed is the version that went for approval
    assert "Saved and submitted" in page.locator("main .flash").first.inner_text()
    with tenant.schema():
        draft = ReplyDraft.objects.get(pk=draft.pk)
        assert draft.version == 2
        assert draft.versions.get(number=2).text == TYPED
        assert draft.status != "draft"
    assert page.console_errors == []


@pytest.mark.browser
def test_a_reply_too_long_for_x_turns_submit_off_as_one_types(
    browser_server, new_page, committed_tenant
):
    tenant = committed_tenant()
    review = _review(tenant, text="Reused needles at this clinic. Unbelievable.", kind="x")
    page = new_page("desktop")
    box = _editor(page, browser_server, tenant, review)
    submit = page.get_by_role("button", name="Save and submit for approval")

    box.fill(OK_TEXT + " " + "We take every concern about safety seriously. " * 6)
    page.wait_for_function("() => document.getElementById('submit-button').disabled")
    assert "too long for X by" in page.locator("#submit-reason").inner_text()

    box.fill(OK_TEXT)
    page.wait_for_function("() => !document.getElementById('submit-button').disabled")
    assert submit.is_enabled()
    assert page.console_errors == []


@pytest.mark.browser
def test_discarding_a_draft_asks_first(browser_server, new_page, committed_tenant):
    from responses.models import ReplyDraft

    tenant = committed_tenant()
    review = _review(tenant, text="Waited an hour past my appointment time.")
    draft = _draft(tenant, review, OK_TEXT)
    page = new_page("desktop")
    _editor(page, browser_server, tenant, review)
    asked = []

    # when the writer says no, nothing is discarded
    def no(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", no)
    page.get_by_role("button", name="Discard this draft").click()
    page.wait_for_timeout(300)
    assert asked and asked[0].startswith("Discard this draft?")
    with tenant.schema():
        assert ReplyDraft.objects.get(pk=draft.pk).status == "draft"

    # when they say yes, it is
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Discard this draft").click()
    page.wait_for_load_state()
    with tenant.schema():
        assert ReplyDraft.objects.get(pk=draft.pk).status == "discarded"
    assert page.console_errors == []


@pytest.mark.browser
def test_submit_is_off_with_one_line_while_blocked_and_a_refusal_keeps_the_text(
    browser_server, new_page, committed_tenant
):
    from responses.models import ReplyDraft

    tenant = committed_tenant()
    review = _review(tenant, text="Waited an hour past my appointment time.")
    _draft(tenant, review, OK_TEXT)
    page = new_page("desktop")
    box = _editor(page, browser_server, tenant, review)
    submit = page.get_by_role("button", name="Save and submit for approval")
    assert submit.is_enabled()

    box.fill("Thank you. We reviewed your chart and everything was fine.")
    page.wait_for_function("() => document.getElementById('submit-button').disabled")
    reason = page.locator("#submit-reason").inner_text()
    assert reason.startswith("Submit is off: the guard blocks this text")
    assert "\n" not in reason.strip() and len(reason) < 120
    screenshot(page, "editor-submit-off")
    assert serious_violations(page) == []

    # a text whose variable has no value is refused on save, and the typed text stays
    typed = "Thank you. {fact:no-such-fact} Please call +1 555 0100."
    box.fill(typed)
    _guard_says(page, "OK")
    page.get_by_role("button", name="Save as a new version").click()
    page.wait_for_load_state()
    alert = page.locator("main .flash.error")
    assert "{fact:no-such-fact}" in alert.inner_text()
    assert len(alert.inner_text()) < 200
    assert page.get_by_label(re.compile("^Reply text")).input_value() == typed
    assert page.locator("#loaded-edited").is_visible()
    with tenant.schema():
        assert ReplyDraft.objects.get(review=review).version == 1
    # the refused save answers 400 (the page with the form); nothing else went wrong
    assert [e for e in page.console_errors if "status of 400" not in e] == []


@pytest.mark.browser
def test_apply_all_fixes_gives_clean_text_that_passes_the_guard(
    browser_server, new_page, committed_tenant
):
    tenant = committed_tenant()
    review = _review(tenant, text="My root canal hurt for a week.")
    page = new_page("desktop")
    box = _editor(page, browser_server, tenant, review)
    box.fill(ISSUE_TEXT)
    page.locator("#apply-all-fixes").wait_for(state="visible", timeout=30_000)
    assert page.locator("#guard-live .findings li").count() >= 8
    assert page.get_by_role("button", name="Save and submit for approval").is_disabled()

    page.locator("#apply-all-fixes").click()
    page.wait_for_function(
        "(t) => document.getElementById('reply-text').value === t", arg=FIXED, timeout=30_000
    )
    _guard_says(page, "OK")
    assert page.get_by_role("button", name="Save and submit for approval").is_enabled()
    assert page.locator("#fix-note").inner_text() == (
        "5 changes: took out “Hi Sam, we reviewed your chart from your visit on 10/14.”; "
        "took out “Dr. Hanley says your root canal went fine and you are wrong about the pain!”; "
        "took out “This never happened.”; "
        "took out “Call me at 512-778-3310 or jess.h@gmail.com.”; "
        "added “Please contact us directly at +1 555 0100 so we can help.”."
    )
    screenshot(page, "editor-fixed")
    assert page.console_errors == []


@pytest.mark.browser
def test_fact_sheet_page_adds_confirms_edits_and_restores(
    browser_server, new_page, committed_tenant
):
    from facts.models import Fact

    tenant = committed_tenant()
    page = new_page("desktop")
    sign_in(page, browser_server, tenant.users["owner"], totp=tenant.devices["owner"])
    page.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/facts/"))
    assert page.get_by_role("heading", name="To be confirmed (6)").is_visible()
    screenshot(page, "fact-sheet")
    assert serious_violations(page) == []

    # an empty statement is refused with the field's message, nothing is added
    page.locator("#fact-add [name=title]").fill("Parking")
    page.get_by_role("button", name="Add fact").click()
    page.wait_for_load_state()
    assert page.get_by_text("State the fact: a statement cannot be empty.").is_visible()
    with tenant.schema():
        assert not Fact.objects.filter(slug="parking").exists()

    # a fact is added, confirmed at once
    page.locator("#fact-add [name=title]").fill("Parking")
    page.locator("#fact-add [name=statement]").fill("Free parking is behind the building.")
    page.get_by_role("button", name="Add fact").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Confirmed (1)").is_visible()

    # a default is filled in and confirmed, then restored to its first wording
    page.get_by_role("link", name="Single-use needles").click()
    page.wait_for_load_state()
    statement = page.locator("#fact-edit [name=statement]")
    first_wording = statement.input_value()
    statement.fill("Every needle we use is single-use and sealed until it is opened.")
    page.get_by_role("button", name="Save and confirm").click()
    page.wait_for_load_state()
    history = page.locator(".fact-history li")
    assert history.count() == 2
    assert "version 2 — confirmed" in history.first.inner_text().lower()
    page.get_by_role("button", name="Restore version 1").click()
    page.wait_for_load_state()
    assert page.locator("#fact-edit [name=statement]").input_value() == first_wording
    assert "restored from version 1" in page.locator(".fact-history li").first.inner_text()
    with tenant.schema():
        fact = Fact.objects.get(slug="needles-single-use")
        assert (fact.version, fact.status) == (3, "draft")
    assert [e for e in page.console_errors if "status of 400" not in e] == []
