"""The reply-template settings page holds one editor per template of the clinic: each editor
and each of its fields is named after the template it edits ("Text of the template “Warm
thanks”"), never five fields all called "Text"; the visible label starts the name. Refused,
the editor sent back keeps its names."""

from __future__ import annotations

import re
from collections import Counter
from html import unescape

from django_tenants.utils import schema_context

from responses.models import ReplyTemplate

PAGE = "/clinics/clinic-a/settings/templates/"


def _own(clinic, *names: str) -> list[ReplyTemplate]:
    with schema_context(clinic.schema_name):
        return [
            ReplyTemplate.objects.create(
                key=f"own-{n}", name=name, category="thank", body="Thank you for writing."
            )
            for n, name in enumerate(names)
        ]


def _names(html: str, tag: str) -> list[str]:
    return [unescape(n) for n in re.findall(rf'<{tag}\b[^>]*aria-label="([^"]*)"', html)]


def test_each_editor_and_its_fields_are_named_after_the_template(clinic_a, login):
    _own(clinic_a, "Warm thanks", "Wait apology")
    html = login("alpha_manager").get(PAGE).content.decode()

    forms = [n for n in _names(html, "form") if "template" in n]
    fields = _names(html, "input") + _names(html, "textarea") + _names(html, "select")
    assert forms == ["Edit the template “Wait apology”", "Edit the template “Warm thanks”"]
    for name in ("Warm thanks", "Wait apology"):
        assert {f for f in fields if f.endswith(f"“{name}”")} == {
            f"Name of the template “{name}”",
            f"Category of the template “{name}”",
            f"Text of the template “{name}”",
            f"In use of the template “{name}”",
        }
    assert all(n == 1 for n in Counter(fields).values())  # no two fields share a name


def test_a_refused_edit_keeps_its_editors_names(clinic_a, login):
    (warm,) = _own(clinic_a, "Warm thanks")
    response = login("alpha_manager").post(
        PAGE,
        {"template": warm.pk, f"t{warm.pk}-name": "", f"t{warm.pk}-category": "thank",
         f"t{warm.pk}-body": "Thanks."},
    )  # fmt: skip
    assert response.status_code == 400
    assert "Name of the template “Warm thanks”" in unescape(response.content.decode())
