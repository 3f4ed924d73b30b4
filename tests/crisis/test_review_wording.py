"""The post-crisis review's words: the timeline files every audit action it knows under its own
category (a legal override, "guard_overridden", and a batch's steps on its mentions' replies,
"batch_submitted", "batch_edited", "batch_overridden", were filed under "Other"), and the
summary rounds a window's mean score as the windows table does."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from crisis.timeline import _audit_category


def _entry(action, object_type="reply", to_status=""):
    return SimpleNamespace(action=action, object_type=object_type, to_status=to_status)


@pytest.mark.parametrize(
    ("action", "category"),
    [
        ("guard_overridden", "override"),
        ("batch_overridden", "override"),
        ("override", "override"),
        ("batch_submitted", "draft"),
        ("batch_edited", "draft"),
        ("batch_removed", "draft"),
        ("batch_discarded", "draft"),
        ("mention_removed", "draft"),
        ("submitted", "draft"),
        ("batch_approved", "approval"),
        ("approved", "approval"),
        ("changes_requested", "approval"),
    ],
)
def test_known_actions_have_their_category(action, category):
    assert _audit_category(_entry(action)) == category


def test_an_action_nobody_knows_is_still_shown_under_other():
    assert _audit_category(_entry("teleported")) == "other"


@pytest.mark.parametrize(("value", "text"), [(-0.595, "-0.60"), (0.005, "+0.01"), (0.27, "+0.27")])
def test_the_summary_rounds_a_mean_as_the_windows_table_does(value, text):
    from django.template.defaultfilters import floatformat

    from crisis.export import signed_2

    assert signed_2(value) == text
    assert signed_2(value).lstrip("+") == floatformat(value, 2)
