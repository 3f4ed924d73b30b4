"""A warning (saved, but something needs attention: "the clinic has no approver now") looks
neither like a success nor like an error, on the staff pages and in the portal: its own style
in the static stylesheets (the CSP forbids inline styles), its word before it, and a role
that screen readers announce, as an error's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.template.loader import render_to_string
from django.test import RequestFactory

STATIC = Path(settings.BASE_DIR) / "static"


def _flashes(template: str, level: int, clinic, user) -> list[str]:
    request = RequestFactory().get("/")
    request.user = user
    context = {"messages": [Message(level, "Saved, but mind this.")]}
    if template.startswith("portal/"):  # the portal is a clinic's, in its agency's brand
        context |= {"clinic": clinic, "agency": clinic.agency}
    html = render_to_string(template, context, request=request)
    return re.findall(r'<p class="flash[^"]*" role="\w+">Saved, but mind this\.</p>', html)


@pytest.mark.parametrize(
    ("template", "level", "expected"),
    [
        ("base.html", constants.WARNING, '<p class="flash warning" role="alert">'),
        ("base.html", constants.ERROR, '<p class="flash error" role="alert">'),
        ("base.html", constants.SUCCESS, '<p class="flash" role="status">'),
        ("portal/base.html", constants.WARNING, '<p class="flash flash-warning" role="alert">'),
        ("portal/base.html", constants.ERROR, '<p class="flash flash-error" role="alert">'),
        ("portal/base.html", constants.SUCCESS, '<p class="flash" role="status">'),
    ],
    ids=[
        "staff-warning",
        "staff-error",
        "staff-success",
        "portal-warning",
        "portal-error",
        "portal-success",
    ],  # fmt: skip
)
def test_each_level_has_its_class_and_role(clinic_a, world, template, level, expected):
    [flash] = _flashes(template, level, clinic_a, world.users["a_approver"])
    assert flash.startswith(expected)


@pytest.mark.parametrize(
    ("stylesheet", "selector"),
    [("css/app.css", ".flash.warning"), ("portal/portal.css", ".flash-warning")],
    ids=["staff", "portal"],
)
def test_a_warning_has_its_own_look_and_word_in_the_stylesheet(stylesheet, selector):
    css = (STATIC / stylesheet).read_text()
    rule = re.search(re.escape(selector) + r" \{([^}]*)\}", css)
    assert rule and "background: #fff8c5" in rule.group(1)  # not the success's green
    before = re.search(re.escape(selector) + r"::before \{([^}]*)\}", css)
    assert before and 'content: "Warning: "' in before.group(1)
