"""The HIPAA reply guard (responses.guard): plain pytest, no database."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from responses.guard import (
    BLOCK,
    NEEDS_REVIEW,
    OK,
    Finding,
    GuardContext,
    check_reply,
    decide_verdict,
    health_terms,
    warm_up,
)
from responses.guard import engine as guard_engine

CTX = GuardContext(
    clinic_name="Riverbend Family Health",
    clinic_phones=("(512) 555-0142", "512-555-0199"),
    clinic_emails=("care@riverbendhealth.com",),
    clinic_urls=("https://riverbendhealth.com",),
    clinic_address="4100 Riverbend Blvd, Suite 200, Austin, TX 78731",
    staff_names=("Sarah Mitchell", "Dr. Anita Rao", "Jenna Torres"),
)


@pytest.fixture(scope="module", autouse=True)
def engine():
    """Build the analyzer once for this module."""
    warm_up()
    return guard_engine.get_engine()


def check(text, review=None, ctx=CTX):
    result = check_reply(text, review_text=review, context=ctx)
    for f in result.findings:  # invariants of every finding
        assert text[f.start : f.end] == f.text
        assert f.suggestion.strip(), f
        assert f.message.strip(), f
        assert f.severity in (BLOCK, NEEDS_REVIEW)
    return result


def only(result, kind, subtype=None):
    found = [f for f in result.findings if f.kind == kind]
    if subtype:
        found = [f for f in found if f.subtype == subtype]
    return found


# --- identifiers ------------------------------------------------------------------------------


def test_other_phone_is_found_but_the_clinics_own_is_not():
    text = "Please call us at (512) 555-0142; we also tried 737-201-5566 twice."
    r = check(text)
    phones = only(r, "identifier", "phone")
    assert [(f.start, f.end, f.text) for f in phones] == [(48, 60, "737-201-5566")]
    assert phones[0].severity == BLOCK
    assert phones[0].suggestion == "please contact us directly at (512) 555-0142"
    assert r.verdict == BLOCK


def test_clinic_phone_in_another_format_is_not_a_finding():
    assert check("You can reach our after-hours line at 512.555.0199.").verdict == OK


@pytest.mark.parametrize(
    "written", ["(512) 555-0142 ext. 12", "(512) 555-0142 x12", "512-555-0142, extension 12"]
)
def test_clinic_phone_with_an_extension_is_the_clinics_own(written):
    # the extension's digits made the number look like a stranger's: sent to review with clinic
    # context, while the same line passed without it
    assert check(f"Please call our office at {written} and ask for Sarah Mitchell.").verdict == OK


def test_an_extension_in_the_clinics_settings_still_matches_the_number():
    ctx = GuardContext(clinic_name="Lakeview Physio", clinic_phones=("(303) 555-0117 ext. 12",))
    assert check("Please call our office at 303-555-0117.", ctx=ctx).verdict == OK
    assert check("Please call our office at (303) 555-0117 ext. 12.", ctx=ctx).verdict == OK
    # another number with the same extension is still a stranger's
    r = check("We called you at (303) 555-0199 ext. 12 but got no answer.", ctx=ctx)
    assert only(r, "identifier", "phone") and r.verdict == BLOCK


def test_patient_email_is_found_clinic_email_and_domain_are_not():
    r = check("We sent it to tom.becker82@gmail.com on Friday.")
    emails = only(r, "identifier", "email")
    assert [(f.start, f.end) for f in emails] == [(14, 36)]
    assert r.verdict == BLOCK
    ok = "Write to care@riverbendhealth.com or billing@riverbendhealth.com anytime."
    assert check(ok).verdict == OK


def test_patient_name_is_found_staff_name_is_not():
    r = check("We'd like to apologize to Kevin and his mother for the confusion.")
    people = only(r, "identifier", "person")
    assert [(f.start, f.end, f.text) for f in people] == [(26, 31, "Kevin")]
    assert r.verdict == BLOCK
    assert check("Our office manager, Sarah Mitchell, personally reads every review.").verdict == OK
    assert check("Dr. Rao and the whole team appreciate your kind review.").verdict == OK


def test_record_numbers():
    r = check("The records for MRN 00482913 have been corrected.")
    rec = only(r, "identifier", "record_number")
    assert [(f.start, f.end, f.text) for f in rec] == [(16, 28, "MRN 00482913")]
    assert r.verdict == BLOCK
    assert only(check("Claim #CLM-2023-88841 was resubmitted."), "identifier", "record_number")
    assert only(check("Member ID W2284-1190 was verified."), "identifier", "record_number")


@pytest.mark.parametrize(
    ("text", "span"),
    [
        (
            "Your booking reference 88213 has been cancelled as requested.",
            "booking reference 88213",
        ),
        ("The reservation number HV-44120 was moved to Friday.", "reservation number HV-44120"),
        ("Appointment ID 7734521 shows the change.", "Appointment ID 7734521"),
    ],
)
def test_a_booking_or_appointment_reference_is_a_record_number(text, span):
    r = check(text)
    assert [f.text for f in only(r, "identifier", "record_number")] == [span]
    assert r.verdict == BLOCK


def test_a_booking_reference_without_a_number_is_not_one():
    r = check("Appointment reference numbers start with HV and are never given out by phone.")
    assert not only(r, "identifier", "record_number")


def test_postal_address_other_than_the_clinics():
    r = check("We mailed the statement to 88 Oak Hollow Lane in Round Rock.")
    addr = only(r, "identifier", "address")
    assert [(f.start, f.end, f.text) for f in addr] == [(27, 45, "88 Oak Hollow Lane")]
    assert check("We're located at 4100 Riverbend Blvd, Suite 200.").verdict == OK


@pytest.mark.parametrize("street", ["14 Birch Crescent", "9 Alder Close", "301 Cedar Heights"])
def test_a_crescent_close_or_heights_is_a_street_address(street):
    r = check(f"We have updated the address we had for you at {street}.")
    assert [f.text.rstrip(".") for f in only(r, "identifier", "address")] == [street]
    assert r.verdict == BLOCK


def test_date_tied_to_care_is_found_general_dates_are_not():
    text = "Your appointment on 12/04 was moved by the front desk."
    r = check(text)
    dates = only(r, "identifier", "date")
    assert [(f.start, f.end, f.text) for f in dates] == [(20, 25, "12/04")]
    assert dates[0].severity == BLOCK
    r = check("On March 3rd you came in a little late.")
    assert [f.text for f in only(r, "identifier", "date")] == ["March 3rd"]
    assert r.verdict == BLOCK
    for general in (
        "Our new location opens on March 3rd.",
        "Our clinic opened in 2009 and has served Austin ever since.",
        "Starting January 15, our office will offer Saturday hours.",
    ):
        assert check(general).verdict == OK, general


def test_reviewer_display_name_needs_review_unless_allowed():
    text = "Hi Maria, thank you for the wonderful review!"
    not_allowed = GuardContext(**{**CTX.__dict__, "reviewer_name": "Maria G."})
    r = check(text, ctx=not_allowed)
    assert r.verdict == NEEDS_REVIEW
    [f] = r.findings
    assert (f.start, f.end, f.kind, f.subtype) == (3, 8, "identifier", "reviewer_name")
    assert f.suggestion == "“Hello,” without the name"
    allowed = GuardContext(
        **{**CTX.__dict__, "reviewer_name": "Maria G.", "allow_reviewer_name": True}
    )
    assert check(text, ctx=allowed).verdict == OK
    # more than the public display name is a patient identifier
    r = check("Hi Maria Gonzalez, thanks for the review.", ctx=allowed)
    assert r.verdict == BLOCK
    assert only(r, "identifier", "person")[0].text == "Maria Gonzalez"


def test_unknown_name_in_greeting_needs_review_by_default():
    r = check("Hello Priya, thank you for the feedback.")
    assert r.verdict == NEEDS_REVIEW
    assert [f.subtype for f in r.findings] == ["reviewer_name"]


# --- patient confirmation ---------------------------------------------------------------------


def test_your_visit_exact_span_and_suggestion():
    text = "We're sorry your visit didn't meet expectations."
    r = check(text)
    [f] = only(r, "patient_confirmation")
    assert (f.start, f.end, f.text) == (12, 22, "your visit")
    assert f.suggestion == "your experience"
    assert r.verdict == BLOCK


@pytest.mark.parametrize(
    "text",
    [
        "Our records show that you were seen on time.",
        "We have reviewed your chart and everything was done correctly.",
        "As your dentist, I always explain every step.",
        "When you came in, our team did its best.",
        "During your appointment the hygienist explained the cost.",
        "We're sorry about the wait before your procedure.",
        "Thanks for being such a loyal patient of ours!",
        "The provider who treated you has been told about this.",
        "We don't have any record of you being seen here.",
        "It was a pleasure taking care of you.",
        "According to our scheduling system, the visit was cancelled.",
        "This patient was seen promptly.",
    ],
)
def test_patient_confirmation_phrasings_block(text):
    r = check(text)
    assert only(r, "patient_confirmation"), text
    assert r.verdict == BLOCK, r.as_dict()


@pytest.mark.parametrize(
    "text",
    [
        # the crisis-day walk: a parent's complaint answered from the child's chart
        "His chart shows no reaction was reported.",
        "Her records show the dose was correct.",
        "According to her chart, the vaccine was in date.",
        "Based on their file, the family was called back the same day.",
    ],
)
def test_a_third_persons_chart_or_records_block(text):
    r = check(text)
    assert any(f.subtype == "records" for f in r.findings), r.as_dict()
    assert r.verdict == BLOCK


def test_weak_confirmation_needs_review():
    r = check("Thanks for the kind words, we hope to see you again soon!")
    assert r.verdict == NEEDS_REVIEW
    assert [f.subtype for f in r.findings] == ["return_visit"]


# --- health details ---------------------------------------------------------------------------


def test_echo_of_a_review_health_term_blocks():
    text = "Our COVID policy asks anyone with symptoms to call ahead."
    assert check(text).verdict == OK  # a general statement on its own
    r = check(text, review="I tested positive for COVID and they still made me come in.")
    [f] = only(r, "health_detail", "echo")
    assert (f.start, f.end, f.text) == (4, 9, "COVID")
    assert f.severity == BLOCK and r.verdict == BLOCK


def test_echo_matches_lemma_and_plural():
    r = check(
        "Deep cleanings are only recommended when clinically needed.",
        review="They just wanted to sell me a deep cleaning.",
    )
    assert [f.text for f in only(r, "health_detail", "echo")] == ["Deep cleanings"]


def test_echo_of_a_term_missing_from_the_lexicon():
    assert "blepharitis" not in health_terms.SPECIFIC
    r = check(
        "Blepharitis can be stubborn and we'd like to help.",
        review="My blepharitis got worse and nobody called me back.",
    )
    assert [f.text for f in only(r, "health_detail", "echo")] == ["Blepharitis"]
    assert r.verdict == BLOCK


def test_health_detail_about_the_reader_without_review():
    r = check("We hope the antibiotics cleared up the infection quickly.")
    assert {f.text for f in only(r, "health_detail")} == {"antibiotics", "infection"}
    assert r.verdict == BLOCK


def test_general_health_facts_about_the_clinic_are_ok():
    for text in (
        "We offer flu vaccines for all ages throughout the fall season.",
        "We follow CDC sterilization guidance for every instrument.",
        "Our dermatology team offers skin cancer screenings every Saturday.",
        # a rule for every item of a kind, the statement a misinformation answer cites
        "Thank you for asking. Every vaccine we give is checked for its expiry date before use.",
        "We store vaccines in monitored refrigerators.",
    ):
        assert check(text).verdict == OK, text
    # and still: the same words about the reader are theirs
    assert (
        check("Every vaccine we gave you was checked, so your fever is not from us.").verdict != OK
    )


def test_reply_that_avoids_the_reviews_health_details_is_ok():
    r = check(
        "We're sorry to hear this. Please call (512) 555-0142 and ask for Sarah.",
        review="My root canal hurt for days and nobody called me back.",
    )
    assert r.verdict == OK, r.as_dict()


# --- tone -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("This review is false and we have proof.", "review is false"),
        ("If you had followed the instructions, this wouldn't have happened.", "If you had"),
        ("You are lying.", "You are lying"),
        ("We have forwarded this to our lawyer.", "our lawyer"),
        ("We will take legal action if this is not removed.", "legal action"),
        ("We are DISGUSTED by this!!! Our team works SO hard!!!", "!!!"),
        ("Maybe next time read the policy before complaining.", "Maybe next time"),
    ],
)
def test_tone(text, fragment):
    r = check(text)
    tone = only(r, "tone")
    assert tone, text
    assert any(fragment in f.text or f.text in fragment for f in tone), r.as_dict()
    assert all(f.severity == NEEDS_REVIEW for f in tone)
    assert r.verdict in (NEEDS_REVIEW, BLOCK)


def test_positive_exclamations_are_not_tone():
    assert check("Thank you so much for this review!! Our team is beaming.").verdict == OK
    assert check("WOW, thank you! This made our week!").verdict == OK


# --- hard safe cases --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Thank you for your feedback. Please contact our office at (512) 555-0142.",
        "Please reach out to Sarah Mitchell, our office manager, at care@riverbendhealth.com.",
        "We'd love to hear more about your experience.",
        "To clarify, our office is open until 7 pm on Tuesdays and Thursdays.",
        "We respectfully note that our posted policy asks for 24 hours' notice.",
        "What a lovely review, thank you! Our whole team smiled reading this.",
        "Patient privacy is important to us, so we can't discuss any details here.",
        "We're so glad you had a great experience!",
        "Our patient care coordinator, Jenna Torres, would be glad to speak with you.",
        "Please visit riverbendhealth.com/feedback to share more details privately.",
    ],
)
def test_hard_safe_cases_are_ok(text):
    r = check(text)
    assert r.verdict == OK, r.as_dict()


# --- API, edge cases, performance -------------------------------------------------------------


def test_empty_and_blank_text_are_ok():
    for text in ("", "   ", "\n\n"):
        r = check_reply(text)
        assert r.verdict == OK and r.findings == []


def test_no_context_and_no_review_work():
    # a number the reader is asked to call, without saying whose: never a block (issue 19), but
    # a person checks it is the practice's
    r = check_reply("Call 737-201-5566.")
    assert r.verdict == NEEDS_REVIEW
    assert [(f.subtype, f.suggestion) for f in r.findings] == [
        ("phone_contact", "please contact our office directly")
    ]
    assert check_reply("We called 737-201-5566 twice.").verdict == BLOCK


def test_as_dict_is_json_ready():
    r = check("Our records show you were seen on 3/4. Call 737-201-5566.")
    d = json.loads(json.dumps(r.as_dict()))
    assert d["verdict"] == BLOCK
    keys = {"start", "end", "text", "kind", "subtype", "severity", "message", "suggestion"}
    assert d["findings"] and all(set(f) == keys for f in d["findings"])
    assert [f["start"] for f in d["findings"]] == sorted(f["start"] for f in d["findings"])


def test_context_from_dict_accepts_lists_and_ignores_unknown_keys():
    ctx = GuardContext.from_dict(
        {"clinic_phones": ["(512) 555-0142"], "staff_names": ["Sarah Mitchell"], "other": 1}
    )
    assert ctx.clinic_phones == ("(512) 555-0142",)
    assert check("Ask for Sarah at (512) 555-0142.", ctx=ctx).verdict == OK


def test_verdict_rule():
    f = Finding(0, 1, "x", "tone", "emotional", NEEDS_REVIEW, "m", "s")
    b = Finding(0, 1, "x", "identifier", "phone", BLOCK, "m", "s")
    assert decide_verdict([]) == OK
    assert decide_verdict([f]) == NEEDS_REVIEW
    assert decide_verdict([f, b]) == BLOCK


def test_very_long_text_in_reasonable_time():
    base = (
        "We're sorry to hear about your experience. Please call (512) 555-0142. "
        "Our clinic opened in 2009. We offer flu vaccines for all ages. "
    )
    text = (base * (20000 // len(base) + 1))[:20000]
    t0 = time.perf_counter()
    r = check_reply(text + " Our records show you were seen.", context=CTX)
    assert time.perf_counter() - t0 < 20
    assert r.verdict == BLOCK
    t0 = time.perf_counter()
    check_reply("a " * 10000, context=CTX)  # no sentence punctuation at all
    assert time.perf_counter() - t0 < 20


def test_latency_of_a_typical_reply():
    text = "We're sorry to hear this. Please call (512) 555-0142 and ask for Sarah Mitchell."
    timings = []
    for _ in range(20):
        t0 = time.perf_counter()
        check_reply(text, context=CTX)
        timings.append(time.perf_counter() - t0)
    assert sorted(timings)[10] < 0.25  # median; generous for a shared 2-core machine


def test_concurrent_checks_agree_with_sequential():
    texts = [
        "Call 737-201-5566 about your visit.",
        "We'd love to hear more about your experience.",
        "You are lying and our lawyer will be in touch.",
        "We hope the antibiotics cleared up the infection.",
    ] * 5
    expected = [check_reply(t, context=CTX).as_dict() for t in texts]
    got = [None] * len(texts)

    def work(i):
        got[i] = check_reply(texts[i], context=CTX).as_dict()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == expected


def test_engine_builds_and_checks_e_mail_without_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the guard tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    from responses.guard import recognizers

    recognizers._offline_tld_extractor.cache_clear()
    eng = guard_engine._build()
    results = eng.analyzer.analyze(
        text="Write to someone@example.co.uk please.", language="en", entities=["EMAIL_ADDRESS"]
    )
    assert [r.entity_type for r in results] == ["EMAIL_ADDRESS"]


# --- rules found on the rule-blind training sets' misses (bench/compliance OWN_CONTEXT_SETS) ---


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("The chart for the woman born 4/9/1961 has been corrected.", "identifier"),
        ("We verified the Medicare ID ending in 2290 and the claim is resubmitted.", "identifier"),
        ("The insurance card (ending 5518) on file was out of date.", "identifier"),
        ("We tried the number you left with us, 555-0187, twice.", "identifier"),
        ("A letter went to the Birch Road address you gave the front desk.", "identifier"),
        ("We have refunded you the full amount.", "patient_confirmation"),
        ("A follow-up is booked for you with the same provider.", "patient_confirmation"),
        ("Thank you for sticking with our practice all these years.", "patient_confirmation"),
        ("Dr. Rao remembers meeting you and would like to talk.", "patient_confirmation"),
        ("The receptionist you spoke with at check-out has been coached.", "patient_confirmation"),
    ],
)
def test_rules_from_the_training_sets_misses_flag(text, kind):
    r = check(text)
    assert only(r, kind), r.as_dict()
    assert r.verdict in (NEEDS_REVIEW, BLOCK)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Sorry, not sorry: emergencies come first.", "Sorry, not sorry"),
        ("Thanks for the free advertising.", "Thanks for the free advertising"),
        ("Arriving on time is not optional.", "not optional"),
        ("Our staff were professional, full stop.", "full stop"),
        ("The fee, which you agreed to, stands.", "which you agreed to"),
        ("We will never apologize for following safety rules.", "never apologize for"),
        ("A little patience would go a long way.", "A little patience would go a long way"),
    ],
)
def test_sarcasm_and_put_downs_need_review(text, fragment):
    tone = only(check(text), "tone")
    assert any(
        fragment.lower() in f.text.lower() or f.text.lower() in fragment.lower() for f in tone
    )


@pytest.mark.parametrize(
    "text",
    [
        "Masks are optional in our waiting room.",
        "Please bring an insurance card with the member ID to every visit.",
        "Our new office on Birch Road opens in March.",
        "We hope every family in town can stay with our practice for years.",
        "We apologize for the wait and are adding staff on Mondays.",
        "Thank you for the lovely five-star review!",
    ],
)
def test_their_safe_neighbours_are_ok(text):
    r = check(text, ctx=CTX)
    assert r.verdict == OK, r.as_dict()


# --- rules found on independent.jsonl's misses, once fresh_eval2 replaced it as a measuring set ---

PT_CTX = GuardContext(
    clinic_name="Harbor Physical Therapy",
    clinic_phones=("(617) 555-0183",),
    clinic_emails=("info@harborpt.com",),
    staff_names=("Jessica Moore", "Dr. Alan Pierce"),
)


@pytest.mark.parametrize(
    ("text", "kind", "subtype"),
    [
        ("The subscriber ID we have on file, QX40021877, was accepted.", "identifier", None),
        ("The account number on your statement is 0048122.", "identifier", None),
        ("So sorry, mrs delgado, we will look into it.", "identifier", "person"),
        ("We looked, and you haven't been seen here since 2021.", "patient_confirmation", None),
        ("You have not come in for more than two years.", "patient_confirmation", None),
        ("The risks were explained and you decided to proceed anyway.", "tone", "blame"),
        ("You chose to leave against medical advice.", "tone", "blame"),
    ],
)
def test_rules_from_the_retired_measuring_sets_misses_flag(text, kind, subtype):
    r = check(text, ctx=GuardContext())
    assert only(r, kind, subtype), r.as_dict()
    assert r.verdict in (NEEDS_REVIEW, BLOCK)


@pytest.mark.parametrize(
    ("text", "ctx"),
    [
        ("Please reach our patient relations office at privacy@summitvalley.org.", GuardContext()),
        ("Our patient experience team can be reached at hello@brightsmile.net.", GuardContext()),
        ("The reference number for the 2023 survey is on our website.", GuardContext()),
        ("Thanks to Mr. and Mrs. everyone who came to the open day!", GuardContext()),
        ("If you haven't been in for a while, our new hours start Monday.", GuardContext()),
        ("If you have not visited since 2020, come and see the new office.", GuardContext()),
        ("If you decided to switch providers anyway, we understand.", GuardContext()),
        ("Our whole team at Harbor Physical Therapy thanks you for the support.", PT_CTX),
        ("Physical therapy evaluations do not need a referral in our state.", PT_CTX),
    ],
)
def test_their_safe_neighbours_pass_the_rules(text, ctx, monkeypatch):
    # the rules' own precision; the learned backstop may still send an odd one to review
    monkeypatch.setenv("CAREWATCH_GUARD_BACKSTOP", "0")
    r = check(text, ctx=ctx)
    assert r.verdict == OK, r.as_dict()


@pytest.mark.parametrize(
    "text",
    [
        "Our whole team at Harbor Physical Therapy thanks you for the support.",
        "Thank you! Everyone at harbor physical therapy appreciates the kind words.",
    ],
)
def test_the_clinics_name_does_not_read_as_care(text):
    # the backstop reads the clinic's own name as "our practice"
    r = check(text, ctx=PT_CTX)
    assert r.verdict == OK, r.as_dict()


def test_the_clinics_service_is_still_a_health_detail_when_it_is_the_readers():
    r = check("We hope your physical therapy for the knee is going well.", ctx=PT_CTX)
    assert r.verdict == BLOCK


def test_the_clinics_name_is_not_an_echo_of_the_review():
    r = check(
        "Harbor Physical Therapy thanks you for the kind words!",
        review="Harbor Physical Therapy is the best physical therapy in town.",
        ctx=PT_CTX,
    )
    assert not [f for f in r.findings if f.subtype != "backstop"], r.as_dict()
    assert r.verdict != BLOCK


@pytest.mark.parametrize(
    "text",
    [
        "Moderna and Pfizer COVID-19 vaccines are available by appointment.",
        "We offer Juvederm and Restylane fillers, and Xeomin for fine lines.",
        "Dysport is given only by our registered nurses.",
    ],
)
def test_brand_names_are_not_people(text):
    # found on train_extra5's false flags: a vaccine or product name read as a person
    r = check(text, ctx=GuardContext())
    assert not only(r, "identifier"), r.as_dict()


def test_a_person_with_a_brand_like_name_is_still_a_name():
    r = check("Thanks to Juvederm Smith for visiting.", ctx=GuardContext())
    assert only(r, "identifier", "person"), r.as_dict()
