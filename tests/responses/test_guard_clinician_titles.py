"""A clinician's title is no proof of staff. With the clinic's staff list empty, a name with a
clinician's title ("Dr. Patel", "Nurse Kim") needs review, with a finding that says to list
the clinicians; a bare name not known to be staff still blocks. With a list, a titled name on it
passes and one missing from it blocks, as any name. The practice's signature keeps its rule; a
clinician the reply offers as its contact person ("Dr. Patel will be glad to talk with you;
please call our office") still needs the list. Written in lower case ("dr patel", "doctor chen",
"Mr. j smith") a title still names; a title before a common word ("Nurse Practitioners", "the
doctor will", "our nurse team") or a look-alike ("MS support group") does not. Rules
only (the learned backstop is off); the reply editor offers to add the name to the list, as for
any unlisted name."""

from __future__ import annotations

import os

import pytest
from django_tenants.utils import schema_context

from responses.guard import BLOCK, NEEDS_REVIEW, OK, GuardContext, check_reply
from responses.models import ResponseSettings
from tests.responses.conftest import review_in

NO_LIST = GuardContext(clinic_phones=("(512) 555-0142",))
LISTED = GuardContext(clinic_phones=("(512) 555-0142",), staff_names=("Dr. Anita Patel",))
OTHERS_LISTED = GuardContext(clinic_phones=("(512) 555-0142",), staff_names=("Jenna Torres",))
ADD_THEM = "Add your clinicians to the staff list"


@pytest.fixture(autouse=True)
def _rules_only():
    os.environ["CAREWATCH_GUARD_BACKSTOP"] = "0"
    yield
    os.environ.pop("CAREWATCH_GUARD_BACKSTOP")


def _findings(text, context):
    return [(f.subtype, f.severity, f.text) for f in check_reply(text, context=context).findings]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Thank you for your feedback. Dr. Patel will be glad to talk with you.", "Dr. Patel"),
        ("Thank you for your feedback. Doctor Lee would like to hear more.", "Doctor Lee"),
        ("Thank you for your feedback. Nurse Kim will be glad to talk with you.", "Nurse Kim"),
        ("We have passed your kind words on to Dr. Amara Osei.", "Dr. Amara Osei"),
    ],
    ids=["dr", "doctor", "nurse", "full-name"],
)
def test_with_no_staff_list_a_clinicians_name_needs_review(text, name):
    for context in (NO_LIST, GuardContext()):
        result = check_reply(text, context=context)
        # then: a warning, not a block, on the whole titled name
        assert result.verdict == NEEDS_REVIEW, _findings(text, context)
        [finding] = [f for f in result.findings if f.kind == "identifier"]
        assert (finding.subtype, finding.severity, finding.text) == (
            "clinician_no_staff_list",
            NEEDS_REVIEW,
            name,
        )
        assert ADD_THEM in finding.message and "Staff names" in finding.message


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (
            "Dr. Patel will be glad to talk with you; please call our office.",
            "Dr. Patel",
        ),
        (
            "We're sorry about the wait. Dr. Patel will be glad to talk with you; please call.",
            "Dr. Patel",
        ),
        ("Please call our office to speak with Dr. Patel.", "Dr. Patel"),
        ("We have shared your note with Dr. Patel's team.", "Dr. Patel"),
        ("Doctor Patel would like to hear more; please call our office.", "Doctor Patel"),
        ("Please ask for Nurse Kim when you call our office.", "Nurse Kim"),
        ("dr patel will be glad to talk with you; please call our office.", "dr patel"),
        ("We have passed your note to dr. patel's team.", "dr. patel"),
        ("Please call our office and ask for doctor okafor.", "doctor okafor"),
        ("Our nurse kim will call you this week.", "nurse kim"),
        (
            "Our clinical director, Dr. Amara Osei, invites you to call (512) 555-0142.",
            "Dr. Amara Osei",
        ),
    ],
    ids=[
        "sentence-start-contact",
        "sorry-then-contact",
        "after-with",
        "possessive",
        "doctor",
        "nurse-ask-for",
        "lower-case-dr",
        "lower-case-dr-possessive",
        "lower-case-doctor",
        "lower-case-nurse",
        "role-stated",
    ],
)
def test_with_no_staff_list_a_clinician_offered_as_contact_still_needs_review(text, name):
    for context in (NO_LIST, GuardContext()):
        # when
        findings = _findings(text, context)

        # then: the warning, whatever the sentence around the name says
        assert check_reply(text, context=context).verdict == NEEDS_REVIEW, findings
        assert findings == [("clinician_no_staff_list", NEEDS_REVIEW, name)]


@pytest.mark.parametrize(
    "text",
    [
        "Please call the Doctor's office for more details.",
        "Our doctors will be glad to talk with you.",
        "The doctor will be glad to talk with you.",
        "the doctor said she would call back asap.",
        "Nurse practitioners are available on weekends.",
        "Nurse Practitioners are available on weekends.",
        "Our nurse line is open every weekday.",
        "Dr. Appointment scheduling is open online.",
        "Please book a dr appointment online.",
        "Dr. Google may disagree, but we follow the evidence.",
        "Happy National Nurses Week to our amazing team!",
    ],
    ids=[
        "doctors-office",
        "our-doctors",
        "the-doctor-will",
        "lower-case-the-doctor",
        "nurse-practitioners",
        "nurse-practitioners-capitalised",
        "nurse-line",
        "dr-appointment",
        "lower-case-dr-appointment",
        "dr-google",
        "nurses-week",
    ],
)
def test_a_title_before_a_common_word_names_nobody(text):
    for context in (NO_LIST, GuardContext()):
        assert _findings(text, context) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Please call our office and ask for doctor chen.", "doctor chen"),
        ("We're glad doctor chen took good care of everyone.", "doctor chen"),
        ("We have shared your note with Doctor chen.", "Doctor chen"),
        ("We have shared your note with dr. chen.", "dr. chen"),
        ("We have shared your note with nurse patel.", "nurse patel"),
        ("We have shared your note with doctor smith and she will call.", "doctor smith"),
    ],
    ids=["doctor-chen", "doctor-chen-mid", "capital-title", "dr-chen", "nurse-patel", "smith"],
)
def test_a_surname_the_dictionary_holds_still_names_after_a_title_in_lower_case(text, name):
    # "chen" and "smith" are WordNet words; the tagger reads them as names after the title
    assert _findings(text, NO_LIST) == [("clinician_no_staff_list", NEEDS_REVIEW, name)]
    # with a list they miss from: a person, or a contact person to check ("ask for doctor chen")
    [(subtype, _, found)] = _findings(text, OTHERS_LISTED)
    assert subtype in ("person", "staff_contact") and found == name


@pytest.mark.parametrize(
    "text",
    [
        "Our nurse team is here to help; please call our office.",
        "Our doctor team will be glad to talk with you.",
        "Please call the doctor's office for more details.",
        "dr. office hours are posted online.",
        "doctor availability is limited on weekends.",
        "Please book a doctor visit online.",
        "A nurse call button is in every room.",
        "Ask about our doctor referral program.",
    ],
    ids=[
        "nurse-team",
        "doctor-team",
        "doctors-office",
        "dr-office-hours",
        "doctor-availability",
        "doctor-visit",
        "nurse-call-button",
        "doctor-referral",
    ],
)
def test_a_title_before_a_common_word_in_lower_case_names_nobody(text):
    for context in (NO_LIST, OTHERS_LISTED):
        assert _findings(text, context) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("We have passed your note on to Mr. smith.", "Mr. smith"),
        ("We have passed your note on to Mr. j smith.", "Mr. j smith"),
        ("We have passed your note on to mr. j. smith.", "mr. j. smith"),
        ("We have passed your note on to ms. nguyen.", "ms. nguyen"),
        ("We have passed your note on to Ms j nguyen.", "Ms j nguyen"),
        ("Mr. and Mrs. lopez are always welcome here.", "Mrs. lopez"),
    ],
    ids=["capital-title", "initial", "dotted-initial", "ms-dot", "ms-initial", "couple"],
)
def test_a_social_title_before_a_lower_case_name_or_initial_names_a_person(text, name):
    for context in (NO_LIST, OTHERS_LISTED):
        assert _findings(text, context) == [("person", BLOCK, name)]


@pytest.mark.parametrize(
    "text",
    [
        "Our MS support group meets monthly.",
        "We see many ms patients every week.",
        "Our MR scans are read by a radiologist.",
        "Please don't miss your chance to join our mailing list.",
        "ms. and mr. are both fine on our forms.",
    ],
    ids=["ms-group", "ms-lower-case", "mr-scans", "miss-a-verb", "titles-alone"],
)
def test_lower_case_letters_like_a_title_name_nobody(text):
    for context in (NO_LIST, OTHERS_LISTED):
        assert [f for f in _findings(text, context) if f[0] == "person"] == []


def test_a_clinician_in_lower_case_is_checked_against_the_list():
    text = "dr patel will be glad to talk with you."
    assert check_reply(text, context=LISTED).verdict == OK
    assert _findings(text, OTHERS_LISTED) == [("person", BLOCK, "dr patel")]


def test_with_no_staff_list_a_bare_name_still_blocks():
    text = "Thank you for your feedback. Maria will be glad to talk with you."
    assert _findings(text, NO_LIST) == [("person", BLOCK, "Maria")]


@pytest.mark.parametrize(
    "text",
    ["We have passed your note on to Mr. Lopez.", "We are so sorry, Ms. Nguyen. Thank you."],
    ids=["named", "greeted"],
)
def test_a_social_title_is_no_clinicians_title(text):
    assert check_reply(text, context=NO_LIST).verdict == BLOCK, _findings(text, NO_LIST)
    assert "clinician_no_staff_list" not in {subtype for subtype, _, _ in _findings(text, NO_LIST)}


def test_a_clinician_on_the_staff_list_passes_and_one_missing_from_it_blocks():
    text = "Thank you for your feedback. Dr. Patel will be glad to talk with you."
    assert check_reply(text, context=LISTED).verdict == OK
    assert _findings(text, OTHERS_LISTED) == [("person", BLOCK, "Dr. Patel")]


def test_the_practices_signature_keeps_its_rule():
    text = "Thank you for the kind words!\n\nWarm regards,\nDr. Patel"
    assert check_reply(text, context=NO_LIST).verdict == OK, _findings(text, NO_LIST)


def test_a_bare_name_offered_as_contact_is_still_taken_at_its_word():
    text = "Maria will be glad to talk with you; please call our office."
    assert check_reply(text, context=NO_LIST).verdict == OK, _findings(text, NO_LIST)


def test_a_titled_reader_greeted_by_name_is_the_reader_with_or_without_a_list():
    text = "Dr. Patel, thank you for your kind words."
    for context in (NO_LIST, OTHERS_LISTED):
        assert _findings(text, context) == [("reviewer_name", NEEDS_REVIEW, "Dr. Patel")]


def test_the_editor_offers_to_list_the_clinician(clinic_a, as_user):
    # given: clinic A lists no staff, and a writer's thank-you names its doctor
    with schema_context(clinic_a.schema_name):
        ResponseSettings.objects.update_or_create(pk=1, defaults={"staff_names": []})
    review = review_in(clinic_a, text="Friendly front desk and a short wait.")
    page_url = f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/"
    manager = as_user("alpha_manager", clinic_a).client
    text = "Thank you for your feedback. Dr. Patel will be glad to talk with you."

    # when: the manager checks it, then adds the name from the finding
    checked = manager.post(page_url, {"action": "check", "text": text}).content.decode()
    added = manager.post(page_url, {"add_staff_name": "Dr. Patel", "text": text})

    # then: it needed review, said why and offered the one click; listed, the text passes
    assert ADD_THEM in checked and "Needs review" in checked
    assert "Add “Dr. Patel” to the staff names" in checked
    assert added.status_code == 200
    assert 'pill positive">OK' in added.content.decode()
    with schema_context(clinic_a.schema_name):
        assert ResponseSettings.objects.get(pk=1).staff_names == ["Dr. Patel"]
