"""The guard is asked once per text, review and clinic context (`guard_check` keeps the
process's recent answers): a text checked when it was saved is not analysed again at each
approval step, and a change of what the clinic may say (its staff list, its facts) is a new
context, asked afresh."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

import responses.guard as guard
from responses.services import guarding

TEXT = "Thank you for your feedback, Dr. Alvarez will call you back this week."


@pytest.fixture
def asked(monkeypatch):
    """The texts the guard itself analysed in this test."""
    texts: list[str] = []
    real = guard.check_reply

    def counting(text, **kwargs):
        texts.append(text)
        return real(text, **kwargs)

    monkeypatch.setattr(guard, "check_reply", counting)
    guarding._checked.cache_clear()
    yield texts
    guarding._checked.cache_clear()


def test_the_same_text_in_the_same_context_is_analysed_once(clinic_a, asked):
    with schema_context(clinic_a.schema_name):
        first = guarding.guard_check(TEXT, clinic=clinic_a)
        assert first["findings"], first  # a clinician's name while the staff list is empty
        first["findings"].clear()  # a caller changing its answer changes nobody else's
        again = guarding.guard_check(TEXT, clinic=clinic_a)
        other = guarding.guard_check(TEXT, clinic=clinic_a, review_text="Rude front desk")
    assert asked == [TEXT, TEXT]  # the second call in the same context asked nobody
    assert again["findings"] and again["verdict"] != "ok"
    assert other["verdict"] == again["verdict"]


def test_a_new_staff_list_is_a_new_context_and_a_new_answer(clinic_a, asked):
    with schema_context(clinic_a.schema_name):
        before = guarding.guard_check(TEXT, clinic=clinic_a)
        row = guarding.response_settings_get()
        row.staff_names = ["Dr. Alvarez"]
        row.save()
        after = guarding.guard_check(TEXT, clinic=clinic_a)
    assert asked == [TEXT, TEXT]
    named = [
        [f["text"] for f in r["findings"] if f["kind"] == "identifier"] for r in (before, after)
    ]
    assert named == [["Dr. Alvarez"], []], (before, after)
