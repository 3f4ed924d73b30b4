"""A wrong detail (details.py): a price, an opening time or an opening day the clinic's fact says
otherwise is flagged, and a post that states the fact's own detail, asks, or wishes is not."""

from __future__ import annotations

import pytest

from scoring.ml.details import conflict

HOURS = (
    "We are open Monday to Thursday 8am-6pm, Friday 8am-2pm and Saturday 9am-1pm. "
    "We are closed on Sundays."
)
HOURS_ON_CALL = (
    "The office is open Monday to Friday, 7:30am to 5pm. A cardiologist is on call 24 hours a "
    "day, 7 days a week through our answering service."
)
PRICE = (
    "We are in-network with Delta Dental and Aetna. A new-patient exam with X-rays and cleaning "
    "costs $189 without insurance."
)
PER_UNIT = "Botox is $13 per unit and Juvederm Ultra is $700 per syringe."
SLIDING = "Uninsured clients pay on a sliding scale from $25 to $120 per session."
TRIAL_FEE = "You get a full refund within 45 days, minus a $150 fitting fee."
TRIAL = "All hearing aids come with a 45-day trial period."
OBSERVE = "Every patient is observed in our office for 30 minutes after each allergy shot."
INTAKE = "New clients are offered an intake appointment within 10 business days of their call."
RESULTS = "Glasses orders are ready in 7-10 business days; rapid strep results in about 15 minutes."
ON_CALL = "A cardiologist is on call 24 hours a day, 7 days a week through our answering service."


@pytest.mark.parametrize(
    ("text", "fact", "kind", "post"),
    [
        ("Bright Smile charges $350 for a new patient cleaning. insane", PRICE, "price", "$350"),
        ("New patient exam was 400 dollars, no joke", PRICE, "price", "400 dollars"),
        ("Bright Smile closes at 4 every weekday now", HOURS, "time", "closes at 4"),
        ("they don't open until 9, so no early visits", HOURS_ON_CALL, "time", "open until 9"),
        ("open till 7pm on thursdays, easy after work", HOURS, "time", "open till 7pm"),
        ("Lakeside is open Saturdays now, took my dad last weekend", HOURS_ON_CALL, "day", None),
        ("Bright Smile is closed Saturdays so good luck if you work weekdays", HOURS, "day", None),
        ("Bright Smile started doing Sunday hours", HOURS, "day", None),
        ("they don't open until 10 on saturdays", HOURS, "time", "open until 10"),
        ("heard they're not open on Fridays anymore", HOURS, "day", None),
        ("Juvederm there is $1,100 a syringe", PER_UNIT, "price", "$1,100"),
        ("Valley ENT hearing aid trial is only 14 days.", TRIAL, "duration", "14 days"),
        ("they only make you wait 5 min after allergy shots", OBSERVE, "duration", "5 min"),
        ("harbor makes new people wait 8 weeks for an intake", INTAKE, "duration", "8 weeks"),
        ("my glasses took three weeks to be ready", RESULTS, "duration", "three weeks"),
    ],
)
def test_a_detail_the_fact_says_otherwise_is_a_conflict(text, fact, kind, post):
    found = conflict(text, fact)
    assert found is not None, text
    assert found.kind == kind
    if post is not None:
        assert found.post == post
    assert found.fact  # what the fact says, for the evidence
    assert set(found.as_dict()) == {"kind", "post", "fact"}


def test_a_day_conflict_names_the_day_and_quotes_the_hours():
    found = conflict("Lakeside is open Saturdays now", HOURS_ON_CALL)
    assert found.post == "open on Saturday"
    # the hours sentence, not the on-call one
    assert found.fact == "The office is open Monday to Friday, 7:30am to 5pm."


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        # the fact's own details, however written
        ("Paid $189 for the new patient exam and cleaning, fair price", PRICE),
        ("they're open till 6 Mon-Thu so I can go after work", HOURS),
        ("Open Saturday mornings 9-1, a lifesaver for working parents", HOURS),
        ("Lakeside opens at 7:30, I got my echo done before work", HOURS_ON_CALL),
        ("Heads up, they close at 2 on Fridays and aren't open Sundays", HOURS),
        ("Tuesdays they don't open till 8, plan around that", HOURS),
        # times that are not opening hours
        ("Called at 2am and the on-call cardiologist called back in 15 minutes", HOURS_ON_CALL),
        ("I was there at 4:30 and the front desk was lovely", HOURS),
        ("waited 45 minutes past my appointment", HOURS),
        # wishes and questions state nothing
        ("I wish they were open on Sundays", HOURS),
        ("Are they open Sundays? need a cleaning asap", HOURS),
        ("would be great if they stayed open until 8", HOURS),
        # sums, ranges, per-unit multiples, another fact's price
        ("20 units of Botox at $13 came to $260", PER_UNIT),
        ("I pay $30 a session on their sliding scale", SLIDING),
        ("Got my money back minus the $150 fitting fee", PRICE),
        # a post that states the right price and quotes the wrong one refutes it
        ("Saw someone say it's $350. It's $189, I was literally just there.", PRICE),
        # denied or refuted, not stated
        ("They don't close at 4, they're open till 6 Monday to Thursday", HOURS),
        ("People keep saying they close at 4. Not true, open till 6 most days", HOURS),
        ("Bright Smile is not closed on Saturdays, I go at 9", HOURS),
        ("Rumour says Sunday hours. Wrong, they're closed Sundays, open Saturday 9-1", HOURS),
        # spans of time the fact allows, or that are not what it times
        ("Returned them on day 40 of my 45-day trial, full refund", TRIAL),
        ("Intake was 8 business days after I called", INTAKE),
        ("glasses were ready in 8 business days, right in the 7-10 they quoted", RESULTS),
        ("on-call cardiologist called back in 15 minutes", ON_CALL),
        ("I've been getting allergy shots for four years", OBSERVE),
        ("intake in 8 days, which beats the 3 month waitlists everywhere else", INTAKE),
        ("waited 20 minutes in the lobby, the front desk was lovely", OBSERVE),
        # no detail of the kind in the fact
        ("Bright Smile charges $350 for whitening", HOURS),
        ("they close at 4 now", PRICE),
    ],
)
def test_the_facts_own_details_questions_and_other_numbers_are_no_conflict(text, fact):
    sheet = [PRICE, HOURS, PER_UNIT, SLIDING, TRIAL_FEE, TRIAL, OBSERVE, INTAKE, RESULTS, ON_CALL]
    assert conflict(text, fact, sheet) is None, conflict(text, fact, sheet)


def test_a_right_span_of_time_does_not_clear_a_post():
    """A span "within 10 days" allows says too little to clear a post; a right time does."""
    from scoring.ml.details import check

    assert check("Intake was 8 business days after I called", INTAKE) == (None, False)
    assert check("they're open till 6 Mon-Thu", HOURS) == (None, True)


def test_a_price_another_fact_states_is_no_conflict_only_with_the_sheet():
    text = "Got my money back minus the $150 fitting fee"
    assert conflict(text, PRICE) is not None  # read against the price fact alone
    assert conflict(text, PRICE, [PRICE, TRIAL_FEE]) is None


def test_an_open_day_of_a_service_that_is_not_the_clinic_is_not_its_opening_day():
    fact = "X-rays are done on site on weekdays, with results in about 15 minutes."
    assert conflict("They're open weekends 9 to 5, saved me an ER trip", fact) is None


def test_the_work_is_bounded_whatever_arrives():
    from scoring.ml.details import MAX_CHARS, check

    flood = "$1 cleaning open mondays until 9 " * 3000
    assert check(flood, PRICE + " " + HOURS, [PRICE, HOURS] * 20)[0] is not None
    # only the first MAX_CHARS are read: a detail past them is not
    late = "Lovely team. " * (MAX_CHARS // 13 + 1) + "They charge $350 for the new patient exam."
    assert conflict(late, PRICE) is None
    assert conflict(late[-60:], PRICE) is not None
