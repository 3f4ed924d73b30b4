"""The reply templates page lists the variables a template's text may hold from the one list
the text is filled from (`responses.services.templating.VARIABLES`): the built-in "Thank and
acknowledge" uses {concerns}, which the page's "Variables:" once left out."""

from __future__ import annotations

import html as html_lib
import re

from responses.services.templating import VARIABLE_RE, VARIABLES
from responses.templates_library import BUILTIN_TEMPLATES


def _variables_lists(html: str) -> list[str]:
    """Every "Variables: …" help the page shows, unescaped."""
    return [html_lib.unescape(m) for m in re.findall(r"Variables: ([^<]*)", html)]


def _used_by_builtins() -> set[str]:
    used = set()
    for template in BUILTIN_TEMPLATES:
        for text in (template.body, *template.shorter):
            for m in VARIABLE_RE.finditer(text):
                name = m.group(1)
                used.add("{fact:<slug>}" if name.startswith("fact:") else "{" + name + "}")
    return used


def test_every_variable_a_built_in_template_uses_is_listed(clinic_a, as_user):
    html = (
        as_user("alpha_manager", clinic_a)
        .client.get(f"/clinics/{clinic_a.slug}/settings/templates/")
        .content.decode()
    )
    lists = _variables_lists(html)
    assert lists  # the "Add a template" form's help
    used = _used_by_builtins()
    assert "{concerns}" in used  # "Thank and acknowledge"
    for listed in lists:
        missing = sorted(v for v in used if v not in listed)
        assert missing == [], missing
        # and the list is the variables the text is filled from, no fewer, no more
        assert {v.strip(" .") for v in listed.split(",")} == {
            *("{" + v + "}" for v in VARIABLES),
            "{fact:<slug>}",
        }
