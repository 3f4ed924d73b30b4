"""A clinic template the privacy check flags: the templates page checks it when it is saved and
says what it found in the reply editor's words, and the API answers the same check on the
template (`guard`; saved all the same, as on the page, a block too); the suggestion never
proposes a template whose text the check would send to legal (or block) for that review, but
the next one that fits, or none. And a variable left without a value is explained by its
kind ({concerns} is written in the writer's words; a fact is inserted)."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django_tenants.utils import schema_context

from clinics.models import Clinic
from responses.guard import GuardContext, check_reply
from responses.models import AuditEntry, ReplyDraft, ReplyTemplate, ResponseSettings
from responses.selectors import reply_suggest, template_checked
from responses.services.templating import variable_advice
from tests.responses.test_ordinary_week import _five_star

# "Looking forward to the reviewer's next visit implies they are a patient": the rules flag it
# (needs review), and a clinic sends flagged replies to legal by default.
WARM_THANKS = "Thank you so much for the kind words! We can't wait to see you again."
WARM_FINDING = "Looking forward to the reviewer&#x27;s next visit implies they are a patient."
KIND_WORDS = "Thank you so much for the kind words! It means a lot to our whole team."
PAGE = "/clinics/clinic-a/settings/templates/"
HAPPY = "Best dentist in town, the whole team is great."


def _own(clinic, key: str, name: str, body: str) -> None:
    with schema_context(clinic.schema_name):
        ReplyTemplate.objects.create(key=key, name=name, category="thank", body=body)


def _suggested(clinic, review) -> dict:
    with schema_context(clinic.schema_name):
        return reply_suggest(review=review, clinic=Clinic.objects.get(pk=clinic.pk))


def test_the_texts_verdicts_are_what_this_file_relies_on():
    context = GuardContext(clinic_name="Clinic A", clinic_phones=("+1 555 0100",))
    assert check_reply(WARM_THANKS, review_text=HAPPY, context=context).verdict == "needs_review"
    assert check_reply(KIND_WORDS, review_text=HAPPY, context=context).verdict == "ok"


# --- the templates page checks a template when it is saved -------------------------------------


def test_saving_a_template_shows_what_the_privacy_check_finds_in_it(clinic_a, login):
    manager = login("alpha_manager")
    # when a manager adds "Warm thanks"
    added = manager.post(
        PAGE,
        {"key": "warm-thanks", "name": "Warm thanks", "category": "thank", "body": WARM_THANKS},
    )
    with schema_context(clinic_a.schema_name):
        pk = ReplyTemplate.objects.get(key="warm-thanks").pk
    # then the page it returns to says what the check found, in the editor's words
    assert added.status_code == 302
    assert added["Location"] == f"{PAGE}?checked={pk}#template-check"
    page = manager.get(added["Location"]).content.decode()
    check = page[page.index('data-testid="template-check"') :]
    check = check[: check.index("</section>")]
    assert 'data-verdict="needs_review"' in check
    assert "The privacy check flags this template: a reply from it waits for legal review." in check
    assert "It is not suggested for a review where the check says so" in check
    assert "<strong>Needs review</strong> — “see you again”" in check and WARM_FINDING in check
    assert "Template “Warm thanks” added." in page

    # when its words are changed so that nothing is flagged, saving it says so
    edited = manager.post(
        PAGE,
        {"template": pk, f"t{pk}-name": "Warm thanks", f"t{pk}-category": "thank",
         f"t{pk}-body": KIND_WORDS, f"t{pk}-is_active": "on"},
    )  # fmt: skip
    assert edited.status_code == 302 and edited["Location"].endswith(
        f"?checked={pk}#template-check"
    )
    page = manager.get(edited["Location"]).content.decode()
    assert (
        'data-verdict="ok"' in page and "The privacy check finds nothing in this template" in page
    )

    # an address without a template to check is the page as usual
    for checked in ("abc", "99999", ""):
        plain = manager.get(f"{PAGE}?checked={checked}")
        assert (
            plain.status_code == 200
            and 'data-testid="template-check"' not in plain.content.decode()
        )


# --- the suggestion never proposes a text its own guard sends to legal --------------------------


def test_a_flagged_clinic_template_is_passed_over_for_the_next_that_fits(clinic_a, as_user):
    # given the clinic's "Warm thanks" (its own templates come first) and a 5-star review
    _own(clinic_a, "warm-thanks", "Warm thanks", WARM_THANKS)
    review = _five_star(clinic_a, text=HAPPY)

    # then the built-in "Thank" is suggested, and why
    suggestion = _suggested(clinic_a, review)
    assert (suggestion["template_key"], suggestion["category"]) == ("thank", "thank")
    assert suggestion["reason"] == (
        "A positive review: thank them. Not “Warm thanks”: the privacy check would send it to "
        "legal for this review."
    )
    assert "warm-thanks" in suggestion["alternatives"]
    # the editor opens on it, and a draft asked for without text starts from it
    writer = as_user("alpha_writer", clinic_a)
    page = writer.client.get(f"/clinics/clinic-a/replies/review/{review.pk}/").content.decode()
    assert "Suggested: <strong>Thank</strong>" in page
    draft = writer.post("drafts/", {"review_id": review.pk})
    assert draft.status_code == 201, draft.json()
    assert draft.json()["guard"]["verdict"] == "ok"
    assert draft.json()["text"].startswith("Thank you for your kind words!")


def test_a_clinic_template_that_passes_is_suggested_first(clinic_a):
    _own(clinic_a, "warm-thanks", "Warm thanks", WARM_THANKS)
    _own(clinic_a, "kind-words", "Kind words", KIND_WORDS)
    review = _five_star(clinic_a, text=HAPPY)
    suggestion = _suggested(clinic_a, review)
    assert suggestion["template_key"] == "kind-words"
    assert suggestion["text"] == KIND_WORDS


def test_a_flag_that_goes_to_nobody_in_legal_does_not_pass_a_template_over(clinic_a):
    # a clinic whose flagged replies skip legal review: "Warm thanks" goes to no lawyer
    _own(clinic_a, "warm-thanks", "Warm thanks", WARM_THANKS)
    with schema_context(clinic_a.schema_name):
        ResponseSettings.objects.update_or_create(
            pk=1, defaults={"legal_review_on_needs_review": False}
        )
    review = _five_star(clinic_a, text=HAPPY)
    assert _suggested(clinic_a, review)["template_key"] == "warm-thanks"


def test_when_no_template_fits_none_is_suggested_and_the_writer_is_told(clinic_a, as_user):
    # given every thank-you of the clinic flagged (its own replace the built-ins by their keys)
    for key in ("warm-thanks", "thank", "thank-acknowledge"):
        _own(clinic_a, key, key.title(), WARM_THANKS)
    review = _five_star(clinic_a, text=HAPPY)

    suggestion = _suggested(clinic_a, review)
    assert (suggestion["template_key"], suggestion["text"], suggestion["body"]) == ("", "", "")
    assert suggestion["reason"].startswith("No template fits: the privacy check would send “")
    assert suggestion["reason"].endswith("to legal for this review. Write the reply yourself.")

    writer = as_user("alpha_writer", clinic_a)
    page = writer.client.get(f"/clinics/clinic-a/replies/review/{review.pk}/").content.decode()
    assert "No suggestion: No template fits" in page
    assert "nothing yet: no template fits" in page
    # a draft asked for without text is refused with the reason; nothing is created
    refused = writer.post("drafts/", {"review_id": review.pk})
    assert refused.status_code == 400
    assert refused.json()["fields"]["text"] == [suggestion["reason"]]
    with schema_context(clinic_a.schema_name):
        assert not ReplyDraft.objects.filter(review=review).exists()


# --- a variable without a value, explained by its kind -------------------------------------------


@pytest.mark.parametrize(
    ("placeholder", "advice"),
    [
        ("{concerns}", "Write what they were unhappy about instead of {concerns}, or remove it."),
        ("{fact:opening-hours}", "Insert a fact instead of {fact:opening-hours}, or remove it."),
        ("{relevant_facts}", "Insert a fact instead of {relevant_facts}, or remove it."),
        ("{contact_line}", "Write the clinic's details instead of {contact_line} (or add them in "
         "Settings → General), or remove it."),
        ("{statement_url}", "Pin a published statement, or remove {statement_url}."),
        ("{reviewer}", "Remove {reviewer}: it is not a variable."),
    ],
    ids=["free-text", "fact", "relevant-facts", "clinic-detail", "statement", "unknown"],
)  # fmt: skip
def test_each_kind_of_variable_gets_its_own_advice(placeholder, advice):
    assert variable_advice(placeholder) == advice


def test_the_editor_says_to_write_the_concerns_not_to_insert_a_fact(clinic_a, as_user):
    # given a 4-star review in which the score read no negative topic, and "Thank and
    # acknowledge" loaded from the menu
    review = _five_star(clinic_a, text="Friendly front desk. Took a while to get an appointment.")
    writer = as_user("alpha_writer", clinic_a)
    page = writer.client.get(
        f"/clinics/clinic-a/replies/review/{review.pk}/?template=thank-acknowledge"
    ).content.decode()
    advice = "Write what they were unhappy about instead of {concerns}, or remove it."
    # then the list of what to fill in, and the advice the Submit line reads, say so
    box = page[page.index('id="unresolved"') :]
    assert advice in box[: box.index("</div>")]
    found = re.search(r'data-advice="([^"]*)"', page)
    assert json.loads(unescape(found.group(1))) == {"{concerns}": advice}
    assert "Insert a fact" not in box[: box.index("</div>")]


# --- the API runs the same check on a template and answers it on the template ----------------

API = "reply-templates/"
WARM_GUARD = {
    "verdict": "needs_review",
    "findings": [
        {
            "start": 55, "end": 68, "text": "see you again", "kind": "patient_confirmation",
            "subtype": "return_visit", "severity": "needs_review",
            "message": "Looking forward to the reviewer's next visit implies they are a patient.",
            "suggestion": "we appreciate your feedback", "probability": None,
        }
    ],
    "blocked": False,
    "to_legal": True,
}  # fmt: skip
OK_GUARD = {"verdict": "ok", "findings": [], "blocked": False, "to_legal": False}
CHART = "Thank you. We reviewed your chart and everything was fine."  # the guard blocks it


def _stored(clinic) -> list[tuple]:
    with schema_context(clinic.schema_name):
        templates = list(ReplyTemplate.objects.order_by("pk").values_list("key", "name", "body"))
        audited = AuditEntry.objects.filter(object_type="template").count()
    return [templates, audited]


def test_saving_a_template_through_the_api_answers_the_pages_check(clinic_a, as_user, api):
    manager = as_user("alpha_manager", clinic_a)
    # when a manager adds "Warm thanks" through the API
    added = manager.post(
        API, {"key": "warm-thanks", "name": "Warm thanks", "category": "thank", "body": WARM_THANKS}
    )
    # then it is saved and the answer holds what the privacy check finds in it
    assert added.status_code == 201, added.json()
    body = added.json()
    assert body["guard"] == WARM_GUARD
    with schema_context(clinic_a.schema_name):
        template = ReplyTemplate.objects.get(key="warm-thanks")
        # the page's own check of it, one rule
        shown = template_checked(template, clinic=Clinic.objects.get(pk=clinic_a.pk))
    assert body["id"] == template.pk
    assert {k: shown[k] for k in WARM_GUARD} == {**WARM_GUARD, "findings": shown["findings"]}
    assert [f["subtype"] for f in shown["findings"]] == ["return_visit"]
    page = manager.client.get(f"{PAGE}?checked={template.pk}").content.decode()
    assert 'data-verdict="needs_review"' in page and WARM_FINDING in page

    # and the list and the template's own address say the same, to an API key too
    listed = {t["key"]: t for t in api("key_a").get(f"/clinics/clinic-a/api/v1/{API}").json()[
        "results"
    ]}  # fmt: skip
    assert listed["warm-thanks"]["guard"] == WARM_GUARD
    assert listed["thank"]["guard"] == OK_GUARD  # a built-in is checked the same way
    detail = api("key_a").get(f"/clinics/clinic-a/api/v1/{API}{template.pk}/")
    assert detail.status_code == 200
    assert detail.json() == {**body, "guard": WARM_GUARD}

    # when its words are changed so that nothing is flagged, the answer says so
    edited = manager.patch(f"{API}{template.pk}/", {"body": KIND_WORDS})
    assert edited.status_code == 200, edited.json()
    assert (edited.json()["body"], edited.json()["guard"]) == (KIND_WORDS, OK_GUARD)
    assert manager.get(f"{API}{template.pk}/").json()["guard"] == OK_GUARD


def test_a_template_the_check_blocks_is_saved_with_its_finding_as_on_the_page(clinic_a, as_user):
    manager = as_user("alpha_manager", clinic_a)
    # the page saves it and shows the block
    on_page = manager.client.post(
        PAGE, {"key": "chart-page", "name": "Chart", "category": "acknowledge", "body": CHART}
    )
    assert on_page.status_code == 302
    page = manager.client.get(on_page["Location"]).content.decode()
    assert 'data-verdict="block"' in page and "The privacy check blocks this template" in page

    # when the API is given the same text
    added = manager.post(
        API, {"key": "chart-api", "name": "Chart", "category": "acknowledge", "body": CHART}
    )

    # then it is saved too, and its guard says it is blocked and goes to legal
    assert added.status_code == 201, added.json()
    guard = added.json()["guard"]
    assert (guard["verdict"], guard["blocked"], guard["to_legal"]) == ("block", True, True)
    assert [f["severity"] for f in guard["findings"]] == ["block"]
    assert guard["findings"][0]["text"] in CHART and guard["findings"][0]["probability"] is None
    with schema_context(clinic_a.schema_name):
        page_one = ReplyTemplate.objects.get(key="chart-page")
        api_one = ReplyTemplate.objects.get(key="chart-api")
        assert api_one.body == CHART
        checked = template_checked(page_one, clinic=Clinic.objects.get(pk=clinic_a.pk))
    assert (checked["verdict"], checked["blocked"]) == ("block", True)
    # the same check of the same words: the page's template and the API's agree
    assert manager.get(f"{API}{page_one.pk}/").json()["guard"] == guard
    assert manager.get(f"{API}{api_one.pk}/").json()["guard"] == guard


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"key": "has spaces"}, {
            "key": ["Use lowercase letters, digits and hyphens, e.g. warm-thanks."],
            "name": ["This field is required."], "category": ["This field is required."],
            "body": ["This field is required."]}),
        ({"key": "ok-key", "name": "", "category": "thank", "body": KIND_WORDS},
         {"name": ["This field may not be blank."]}),
        ({"key": "ok-key", "name": "Kind", "category": "sorry", "body": KIND_WORDS},
         {"category": ['"sorry" is not a valid choice.']}),
        ({"key": "ok-key", "name": "Kind", "category": "thank", "body": "Hi {reviewer}"},
         {"body": ["{reviewer}: not a variable (known: {clinic_name}, {clinic_phone}, "
                   "{clinic_email}, {contact_url}, {contact_line}, {statement_url}, "
                   "{relevant_facts}, {concerns}, {fact:<slug>})."]}),
        ({"key": "ok-key", "name": "   ", "category": "thank", "body": KIND_WORDS},
         {"name": ["This field may not be blank."]}),
    ],
    ids=["bad-key-and-missing", "blank-name", "unknown-category", "unknown-variable",
         "spaces-for-a-name"],
)  # fmt: skip
def test_bad_input_to_add_a_template_is_a_400_naming_the_field_and_stores_nothing(
    clinic_a, as_user, body, fields
):
    manager = as_user("alpha_manager", clinic_a)
    before = _stored(clinic_a)

    refused = manager.post(API, body)

    assert refused.status_code == 400, refused.json()
    assert refused.json()["fields"] == fields
    assert _stored(clinic_a) == before


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"name": ""}, {"name": ["This field may not be blank."]}),
        ({"body": "Hi {nope}"}, {"body": [
            "{nope}: not a variable (known: {clinic_name}, {clinic_phone}, {clinic_email}, "
            "{contact_url}, {contact_line}, {statement_url}, {relevant_facts}, {concerns}, "
            "{fact:<slug>})."]}),
        ({"body": ""}, {"body": ["This field may not be blank."]}),
        ({"category": "sorry"}, {"category": ['"sorry" is not a valid choice.']}),
        ({"is_active": "maybe"}, {"is_active": ["Must be true or false."]}),
    ],
    ids=["blank-name", "unknown-variable", "blank-text", "unknown-category", "not-a-boolean"],
)  # fmt: skip
def test_bad_input_to_change_a_template_is_a_400_naming_the_field_and_changes_nothing(
    clinic_a, as_user, change, fields
):
    manager = as_user("alpha_manager", clinic_a)
    created = manager.post(
        API, {"key": "kind-words", "name": "Kind words", "category": "thank", "body": KIND_WORDS}
    )
    assert created.status_code == 201, created.json()
    before = _stored(clinic_a)

    refused = manager.patch(f"{API}{created.json()['id']}/", change)

    assert refused.status_code == 400, refused.json()
    assert refused.json()["fields"] == fields
    assert _stored(clinic_a) == before
    assert manager.get(f"{API}{created.json()['id']}/").json() == created.json()


def test_a_template_that_is_not_the_clinics_own_has_no_address(clinic_a, as_user):
    reader = as_user("alpha_writer", clinic_a)
    assert reader.get(f"{API}99999/").status_code == 404
