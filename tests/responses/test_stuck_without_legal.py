"""A text waiting for the legal or clinician review when nobody of the clinic holds that crisis
role waits for good: `waiting.stuck` says so (`no_one_with_role`), as it does for a clinic
with no approver, and the person whose approval moved it there reads "Stuck: …" with what to
do. Before, the API answered `stuck: null` with `people: []` (walk-through 1, F16)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from responses.services.workflow import Waiting, stuck_words


def _waiting(step: str, *, people=(), barred=()) -> Waiting:
    return Waiting(step=step, people=list(people), barred=list(barred), told_at=None,
                   reminded_at=None, reminded_by="")  # fmt: skip


@pytest.mark.parametrize(
    ("step", "label"), [("legal", "legal review"), ("clinician", "clinician review")]
)
def test_a_review_step_nobody_holds_is_stuck_and_says_what_to_do(step, label):
    waiting = _waiting(step)

    assert waiting.stuck == "no_one_with_role"
    clinic = SimpleNamespace(name="Clinic A", slug="clinic-a")
    assert stuck_words(waiting, clinic) == (
        f"Stuck: Nobody can give the {label}: no person of this clinic has that role. Add one "
        "in the clinic's people settings."
    )


def test_a_legal_block_waits_for_its_writer_too_so_it_is_not_stuck():
    assert _waiting("guard").stuck is None
