"""Crisis roles are shown in the words the form and the invitation use ("Comms / PR",
"Legal / compliance"), never as their codes (walk 12, finding 9)."""

from __future__ import annotations

import re

from clinics.models import crisis_role_labels


def test_labels_follow_the_forms_order_whatever_the_stored_order():
    assert crisis_role_labels(["legal", "comms"]) == ["Comms / PR", "Legal / compliance"]
    assert crisis_role_labels([]) == []


def test_the_people_page_and_the_overview_show_the_labels(login, clinic_a):
    owner = login("alpha_owner")
    base = f"/clinics/{clinic_a.slug}/"
    added = owner.post(
        f"{base}settings/people/",
        {"action": "save", "email": "priya@clinic-a.test", "full_name": "Priya Shah",
         "role": "approver", "crisis_roles": ["legal", "comms"]},
    )  # fmt: skip
    assert added.status_code == 302
    people = owner.get(f"{base}settings/people/").content.decode()
    row = re.search(r'<tr data-person="priya@clinic-a.test">(.*?)</tr>', people, re.S).group(1)
    assert "<td>Approver</td><td>Comms / PR, Legal / compliance</td>" in row
    overview = owner.get(base).content.decode()
    row = re.search(r"<tr><td>Priya Shah</td>(.*?)</tr>", overview, re.S).group(1)
    assert row == (
        "<td>priya@clinic-a.test</td><td>Approver</td><td>Comms / PR, Legal / compliance</td>"
    )
