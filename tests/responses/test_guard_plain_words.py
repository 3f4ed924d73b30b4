"""What the guard's learned backstop says is read by writers, approvers and the clinic's legal
person: plain words, never "learned backstop" or a p-value; the probability stays in the data.
The portal labels a passage to check "To check", not "Review" (which read like the patient's
review). Findings stored before in the old words are worded anew by a migration."""

from __future__ import annotations

import importlib

from django.apps import apps
from django.template.loader import render_to_string
from django_tenants.utils import schema_context

from responses.guard import GuardContext, check_reply
from responses.guard.engine import _BACKSTOP_MESSAGE
from responses.models import ReplyDraft, ReplyVersion
from tests.responses.conftest import review_in

# The walk-through's clinic template: naming the doctor beside "felt at home with us" reads a
# little like a care relationship.
WARM_THANKS = (
    "Thank you so much for the kind words! Dr. Maya Chen and the whole team at Harbor Dental & "
    "Implants are glad you felt at home with us."
)
# A thank-you the backstop alone flags with a margin on every machine (patient confirmation
# about 0.97, unsafe overall about 0.89 here): the walk's text sits at the "unsafe" line (0.494
# on one machine, above 0.5 on another), too close to test the wording with.
WARM_WELCOME = (
    "Thank you so much! Dr. Maya Chen and the whole team at Harbor Dental & Implants are so glad "
    "you felt at home with us and enjoyed coming in."
)
CONTEXT = GuardContext(clinic_name="Harbor Dental & Implants", staff_names=("Dr. Maya Chen",))
PLAIN = (
    "This reply as a whole may read as confirming that the reviewer is a patient, though no "
    "single phrase says so. Read it as a stranger would, or ask legal."
)
MIGRATION = importlib.import_module("responses.migrations.0011_backstop_findings_in_words")


def test_the_backstops_finding_is_worded_for_people_and_keeps_its_probability():
    result = check_reply(
        WARM_WELCOME,
        review_text="The nurse was patient with my kids. Great experience overall.",
        context=CONTEXT,
    )
    assert result.verdict == "needs_review"
    [finding] = [f for f in result.findings if f.subtype == "backstop"]
    assert (finding.kind, finding.severity, finding.message) == (
        "patient_confirmation",
        "needs_review",
        PLAIN,
    )
    assert 0.5 < finding.probability < 1.0
    stored = [f for f in result.as_dict()["findings"] if f["subtype"] == "backstop"]
    assert stored[0]["probability"] == finding.probability
    words = " ".join(f.message + " " + f.suggestion for f in result.findings).lower()
    assert "backstop" not in words and "p=" not in words and "learned" not in words


def test_a_rule_finding_carries_no_probability():
    result = check_reply("We reviewed your chart and everything was fine.", context=CONTEXT)
    assert result.verdict == "block"
    assert all(f.probability is None for f in result.findings)
    assert all("probability" not in f for f in result.as_dict()["findings"])


def test_the_portal_labels_a_passage_to_check_not_review():
    finding = {"severity": "needs_review", "text": WARM_THANKS, "message": PLAIN, "replies": 1}
    blocking = {**finding, "severity": "block", "text": "your chart", "message": "m"}
    html = render_to_string(
        "portal/_guard.html", {"verdict": "block", "findings": [finding, blocking]}
    )
    assert f"<strong>To check:</strong> “{WARM_THANKS.replace('&', '&amp;')}” — {PLAIN}" in html
    assert "<strong>Blocks:</strong> “your chart”" in html
    assert "Review:" not in html


def test_findings_stored_in_the_old_words_are_worded_anew():
    old = {
        "start": 0, "end": 10, "text": "Thank you.", "kind": "tone", "subtype": "backstop",
        "severity": "needs_review", "suggestion": "a calm reply",
        "message": "The learned backstop reads this reply as defensive, argumentative or "
        "blaming (p=0.81); the rules found nothing of the kind.",
    }  # fmt: skip
    rule = {**old, "subtype": "defensive", "message": "Defensive wording."}
    reworded = MIGRATION._reworded([old, rule])
    assert reworded == [
        {
            **old,
            "message": "This reply as a whole may read as defensive, argumentative or blaming, "
            "though no single phrase says so. Read it as the reviewer would, or ask legal.",
            "probability": 0.81,
        },
        rule,
    ]
    # the migration words them as the guard does today
    assert MIGRATION.MESSAGE == _BACKSTOP_MESSAGE
    assert MIGRATION._reworded([rule]) is None  # nothing to change: the row is left alone


def test_the_migration_rewords_the_stored_versions_of_a_clinic(clinic_a):
    old = {
        "start": 0, "end": 10, "text": "Thank you.", "kind": "patient_confirmation",
        "subtype": "backstop", "severity": "needs_review", "suggestion": "s",
        "message": "The learned backstop reads this reply as confirming that the reviewer is "
        "a patient (p=0.72); the rules found nothing of the kind.",
    }  # fmt: skip
    review = review_in(clinic_a, "csv")
    with schema_context(clinic_a.schema_name):
        draft = ReplyDraft.objects.create(review=review, author_label="user:1")
        version = ReplyVersion.objects.create(
            draft=draft, number=1, text="Thank you.", guard_verdict="needs_review",
            guard_findings=[old], author_label="user:1",
        )  # fmt: skip
        MIGRATION.reword(apps, None)
        version.refresh_from_db()
    assert version.guard_findings == [{**old, "message": PLAIN, "probability": 0.72}]
