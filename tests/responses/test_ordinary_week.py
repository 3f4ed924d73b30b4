"""A new writer's ordinary week: a thank-you naming the clinic's own therapist (the guard says
where staff names are listed, a manager adds the name from the finding), "Apply all fixes" on a
thank-you keeps it a thank-you, a mixed 5-star review gets a suggestion that also acknowledges
its issue, and the reply clock shows only on reviews the reply target counts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from responses.guard import GuardContext, check_reply
from responses.models import AuditEntry, ReplyDraft, ResponseSettings
from responses.services.templating import concern_words
from tests.fixtures.rows import score_add
from tests.responses.conftest import review_in

MIXED = "Loved my therapist Jenna and my knee is so much better, but I waited 40 minutes"
THANKS_JENNA = "Thank you so much for the lovely review! We will pass your kind words on to Jenna."
WHERE = "Settings → Reply templates → Staff names"


def _scored(clinic, review, *, label="positive", topics=()):
    with schema_context(clinic.schema_name):
        score_add(
            review=review,
            model_version="test",
            label=label,
            score=0.8 if label == "positive" else -0.8,
            topics=[
                {"name": name, "triggers": [name], "sentiment": sentiment}
                for name, sentiment in topics
            ],
            flags=[],
        )
    return review


def _five_star(clinic, text=MIXED, **score):
    review = review_in(clinic, text=text)
    with schema_context(clinic.schema_name):
        review.rating = 5
        review.author_name = "Maria G."
        review.save(update_fields=["rating", "author_name"])
    return _scored(clinic, review, **score)


def _staff_names(clinic) -> list[str]:
    with schema_context(clinic.schema_name):
        row = ResponseSettings.objects.filter(pk=1).first()
        return list(row.staff_names) if row else []


# --- 1. where staff names are listed, and adding one from the finding ---------------------


def test_the_finding_says_where_staff_names_are_listed():
    result = check_reply(THANKS_JENNA, review_text=MIXED, context=GuardContext())
    [finding] = result.findings
    assert (finding.text, finding.subtype, finding.severity) == ("Jenna", "person", "block")
    assert finding.message == (
        f"Names a person who is not on the clinic's staff list ({WHERE}); it may identify a "
        "patient or a relative."
    )


@pytest.mark.parametrize(
    ("text", "staff", "verdict"),
    [
        (THANKS_JENNA, ("Jenna",), "ok"),
        (THANKS_JENNA, ("Jenna Torres",), "ok"),
        # the guard's recall: the reviewer and another patient still block
        ("Thank you, Maria! We will pass your kind words on to Jenna.", ("Jenna",), "block"),
        (
            "We will pass your kind words on to Jenna. We hope Tom feels better too.",
            ("Jenna",),
            "block",
        ),
    ],
    ids=["listed", "listed-full-name", "reviewer-named", "another-patient"],
)
def test_a_listed_staff_name_passes_and_no_other_name_does(text, staff, verdict):
    context = GuardContext(staff_names=staff, reviewer_name="Maria G.")
    result = check_reply(text, review_text=MIXED, context=context)
    if verdict == "block":
        assert result.verdict != "ok"
        assert any(f.text in ("Maria", "Tom") for f in result.findings)
        assert all(f.text != "Jenna" for f in result.findings)
    else:
        assert result.verdict == "ok", result.findings


def test_a_manager_adds_the_name_from_the_finding_and_the_text_is_checked_again(clinic_a, as_user):
    review = _five_star(clinic_a)
    page_url = f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/"
    manager = as_user("alpha_manager", clinic_a).client
    before = _staff_names(clinic_a)

    # given: the guard blocks "Jenna"; the manager sees where the list is and the one click
    checked = manager.post(page_url, {"action": "check", "text": THANKS_JENNA})
    html = checked.content.decode()
    assert WHERE in html
    assert f'href="/clinics/{clinic_a.slug}/settings/templates/#staff-names"' in html
    assert 'name="add_staff_name" value="Jenna"' in html
    assert "Add “Jenna” to the staff names" in html
    assert 'data-staff-names="/clinics/' in html  # the live check offers the same

    # when: they add it
    added = manager.post(
        page_url, {"add_staff_name": "Jenna", "text": THANKS_JENNA, "template_key": ""}
    )

    # then: the name is listed (audited), and the text in the editor passes the guard
    assert added.status_code == 200
    html = added.content.decode()
    assert _staff_names(clinic_a) == [*before, "Jenna"]
    assert "“Jenna” is on the staff names; the guard checked the text again." in html
    assert 'pill positive">OK' in html
    assert THANKS_JENNA in html  # the typed text stays in the editor
    with schema_context(clinic_a.schema_name):
        entry = AuditEntry.objects.filter(object_type="settings").latest("id")
        assert entry.detail["staff_names"] == [*before, "Jenna"]
        assert not ReplyDraft.objects.filter(review=review).exists()  # nothing saved
    # adding it again changes nothing
    manager.post(page_url, {"add_staff_name": "jenna", "text": THANKS_JENNA})
    assert _staff_names(clinic_a) == [*before, "Jenna"]


def test_a_writer_reads_where_to_ask_and_cannot_add_a_name(clinic_a, as_user):
    review = _five_star(clinic_a)
    page_url = f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/"
    writer = as_user("alpha_writer", clinic_a).client
    before = _staff_names(clinic_a)

    html = writer.post(page_url, {"action": "check", "text": THANKS_JENNA}).content.decode()
    assert WHERE in html
    assert "ask an agency owner or manager to add the name there" in html
    assert 'name="add_staff_name"' not in html and "#staff-names" not in html
    assert 'data-staff-names="ask"' in html

    refused = writer.post(page_url, {"add_staff_name": "Jenna", "text": THANKS_JENNA})
    assert refused.status_code == 403
    assert _staff_names(clinic_a) == before


def test_the_reviewers_own_name_is_never_added_as_staff(clinic_a, as_user):
    review = _five_star(clinic_a)
    page_url = f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/"
    before = _staff_names(clinic_a)
    refused = as_user("alpha_manager", clinic_a).client.post(
        page_url, {"add_staff_name": "Maria", "text": "Thank you, Maria!"}
    )
    assert refused.status_code == 400
    assert "is the reviewer&#x27;s name" in refused.content.decode()
    assert _staff_names(clinic_a) == before


def test_the_settings_page_lists_staff_names_and_a_manager_changes_them(clinic_a, as_user):
    url = f"/clinics/{clinic_a.slug}/settings/templates/"
    manager = as_user("alpha_manager", clinic_a).client
    html = manager.get(url).content.decode()
    assert 'id="staff-names"' in html and 'name="staff_names"' in html

    saved = manager.post(url, {"staff_names": "Jenna\r\n  Dr. Anita Rao \r\n\r\n"})
    assert saved.status_code == 302 and saved["Location"].endswith("#staff-names")
    assert _staff_names(clinic_a) == ["Jenna", "Dr. Anita Rao"]

    # a name too long to store is refused, with what was typed kept in the form
    refused = manager.post(url, {"staff_names": "Jenna\n" + "x" * 201})
    assert refused.status_code == 400
    assert "at most 200 characters" in refused.content.decode()
    assert _staff_names(clinic_a) == ["Jenna", "Dr. Anita Rao"]

    writer = as_user("alpha_writer", clinic_a).client
    html = writer.get(url).content.decode()
    assert "Jenna<br>Dr. Anita Rao" in html and 'name="staff_names"' not in html
    assert writer.post(url, {"staff_names": ""}).status_code == 403
    assert _staff_names(clinic_a) == ["Jenna", "Dr. Anita Rao"]


# --- 2. apply-all on a thank-you ---------------------------------------------------------------


def test_apply_all_on_a_five_star_review_adds_no_call_us_for_help(clinic_a, as_user):
    review = _five_star(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    fixed = writer.post("compliance/fix/", {"text": THANKS_JENNA, "review_id": review.pk}).json()
    assert fixed["verdict"] == "ok"
    assert fixed["text"] == (
        "Thank you so much for the lovely review! We will share your kind words with our team."
    )
    # a 2-star review still gets the invitation to contact the clinic
    unhappy = review_in(clinic_a, text="I waited 40 minutes and nobody said sorry.")
    fixed = writer.post("compliance/fix/", {"text": THANKS_JENNA, "review_id": unhappy.pk}).json()
    assert "Please contact us directly at +1 555 0100 so we can help." in fixed["text"]


# --- 4. a positive review with a negative topic ------------------------------------------------


def test_a_mixed_five_star_review_gets_thanks_that_acknowledge_the_wait(clinic_a, as_user):
    review = _five_star(
        clinic_a, topics=[("staff_attitude", "positive"), ("wait_time", "negative")]
    )
    writer = as_user("alpha_writer", clinic_a)
    suggestion = writer.get(f"reviews/{review.pk}/suggestion/").json()
    assert suggestion["template_key"] == "thank-acknowledge"
    assert suggestion["category"] == "thank"
    assert suggestion["reason"] == (
        "A positive review, unhappy about the wait: thank them and acknowledge it."
    )
    assert suggestion["text"] == (
        "Thank you for your kind words! We are glad to hear it and will share your feedback "
        "with our team. We are sorry about the wait and are working to do better. — The team "
        "at Clinic A"
    )
    assert suggestion["unresolved"] == []
    # the editor says so, and a draft started from it is that text, passing the guard
    page = writer.client.get(f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/")
    assert "Suggested: <strong>Thank and acknowledge</strong>" in page.content.decode()
    draft = writer.post("drafts/", {"review_id": review.pk}).json()
    assert draft["text"] == suggestion["text"]
    assert draft["guard"]["verdict"] == "ok"


def test_a_positive_review_with_no_negative_topic_is_still_just_thanked(clinic_a, as_user):
    review = _five_star(clinic_a, text="Lovely staff.", topics=[("staff_attitude", "positive")])
    suggestion = as_user("alpha_writer", clinic_a).get(f"reviews/{review.pk}/suggestion/").json()
    assert (suggestion["template_key"], suggestion["reason"]) == (
        "thank",
        "A positive review: thank them.",
    )


@pytest.mark.parametrize(
    ("topics", "words"),
    [
        (["wait_time"], "the wait"),
        (["wait_time", "billing_insurance"], "the wait and the billing"),
        (["parking", "wait_time", "cleanliness"], "the wait and the cleanliness"),
        (["pain_safety"], "what fell short"),
        (["clinical_outcome", "medication_prescriptions"], "what fell short"),
        ([], ""),
    ],
    ids=["one", "two", "unknown-left-out", "care-not-named", "care-said-once", "none"],
)
def test_concerns_in_words(topics, words):
    assert concern_words(topics) == words


@pytest.mark.parametrize(
    "topic",
    [
        "wait_time", "scheduling_access", "staff_attitude", "communication",
        "billing_insurance", "cleanliness", "facilities_parking", "staffing_continuity",
        "accessibility_language", "family_carers", "food_drink", "pain_safety",
    ],
)  # fmt: skip
def test_every_acknowledging_suggestion_passes_the_guard(topic, clinic_a, as_user):
    review = _five_star(clinic_a, topics=[(topic, "negative")])
    writer = as_user("alpha_writer", clinic_a)
    suggestion = writer.get(f"reviews/{review.pk}/suggestion/").json()
    assert suggestion["template_key"] == "thank-acknowledge"
    assert f"We are sorry about {concern_words([topic])} and" in suggestion["text"]
    checked = writer.post(
        "compliance/check/", {"text": suggestion["text"], "review_id": review.pk}
    ).json()
    assert checked["verdict"] == "ok", checked["findings"]


# --- 5. the reply clock only where the reply target counts -----------------------------------


def test_the_approvals_page_shows_a_clock_only_for_reviews_the_sla_counts(clinic_a, as_user):
    old = timezone.now() - timedelta(hours=40)
    happy = _five_star(clinic_a, text="Friendly and quick.", topics=[])
    unhappy = review_in(clinic_a, text="Nobody called me back.", published_at=old)
    with schema_context(clinic_a.schema_name):
        happy.published_at = old
        happy.save(update_fields=["published_at"])
    writer = as_user("alpha_writer", clinic_a)
    ids = {}
    for review, text in ((happy, "Thank you for your kind words!"), (unhappy, None)):
        body = {"review_id": review.pk}
        if text:
            body["text"] = text
        ids[review.pk] = writer.post("drafts/", body).json()["id"]
        assert writer.post(f"drafts/{ids[review.pk]}/submit/").status_code == 200

    html = as_user("alpha_manager", clinic_a).client.get(f"/clinics/{clinic_a.slug}/replies/")
    cards = {
        pk: re.search(
            rf'aria-labelledby="reply-{draft_id}-h">.*?</p>', html.content.decode(), re.S
        ).group(0)
        for pk, draft_id in ids.items()
    }
    assert "SLA:" not in cards[happy.pk]
    assert "SLA: <strong>overdue by 16 h" in cards[unhappy.pk]
    # the API and the editor say the same
    assert writer.get(f"drafts/{ids[happy.pk]}/").json()["sla"] is None
    assert writer.get(f"drafts/{ids[unhappy.pk]}/").json()["sla"]["breached"] is True
    editor = writer.client.get(f"/clinics/{clinic_a.slug}/replies/review/{happy.pk}/")
    assert "Reply target:" not in editor.content.decode()
