"""Settings controls a screen reader can tell apart (walk 12, finding 11): each on-call select
is named for its place on the list, and a wrong name typed to confirm deactivating or deleting
a clinic is told at the field (aria-invalid, aria-describedby), as the other staff forms do."""

from __future__ import annotations

import re
from html import unescape

from accounts.actors import Actor
from clinics.lifecycle import clinic_deactivate
from clinics.models import Clinic

WRONG_NAME = "Type the clinic's name exactly: Clinic A"


def _label_of(html: str, control_id: str) -> str:
    """The text of the <label for=control_id>, as a screen reader reads it: without what is
    hidden from it (aria-hidden), with what only it reads (sr-only)."""
    match = re.search(rf'<label for="{control_id}">(.*?)</label>', html, re.S)
    assert match, control_id
    shown = re.sub(r'<span aria-hidden="true">.*?</span>', "", match.group(1))
    return " ".join(re.sub(r"<[^>]+>", "", shown).split())


def test_each_on_call_select_is_named_for_its_place(login, clinic_a):
    page = login("alpha_owner").get(f"/clinics/{clinic_a.slug}/settings/alerts/")
    assert page.status_code == 200
    html = page.content.decode()
    selects = re.findall(r'<select name="on_call" id="(on_call_\d+)"', html)
    assert len(selects) >= 2
    assert [_label_of(html, s) for s in selects] == [
        f"On-call person {n}" for n in range(1, len(selects) + 1)
    ]
    # what the page shows stays "1.", "2." …
    assert '<span class="sr-only">On-call person </span>1<span aria-hidden="true">.</span>' in html


def _field_error(html: str) -> tuple[str, str]:
    """The confirmation input's tag and the text of the element its aria-describedby names."""
    tag = re.search(r'<input id="confirm-name"[^>]*>', html).group(0)
    described = re.search(r'aria-describedby="([^"]+)"', tag)
    assert described, tag
    error = re.search(rf'id="{described.group(1)}"[^>]*>(.*?)</', html, re.S)
    return tag, unescape(error.group(1).strip())


def test_a_wrong_name_to_deactivate_is_told_at_its_field(login, clinic_a):
    owner = login("alpha_owner")
    url = f"/clinics/{clinic_a.slug}/settings/leaving/deactivate/"
    assert 'aria-invalid="true"' not in owner.get(url).content.decode()
    wrong = owner.post(url, {"confirm_name": "Clinic B"})
    assert wrong.status_code == 400
    html = unescape(wrong.content.decode())
    tag, error = _field_error(html)
    assert 'aria-invalid="true"' in tag and 'value="Clinic B"' in tag
    assert error == WRONG_NAME
    # the alert above says what happened, the field what to do
    assert (
        '<p class="error" role="alert">The name typed is not the clinic\'s name: nothing was '
        "changed.</p>" in html
    )
    assert Clinic.objects.get(pk=clinic_a.pk).deactivated_at is None


def test_a_wrong_name_to_delete_is_told_at_its_field(login, world, clinic_a):
    clinic_deactivate(
        clinic=clinic_a, actor=Actor(user=world.users["alpha_owner"]), confirm_name="Clinic A"
    )
    wrong = login("alpha_owner").post(
        f"/clinics/{clinic_a.slug}/settings/leaving/delete/",
        {"confirm_name": "clinic a", "confirm": "yes"},
    )
    assert wrong.status_code == 400
    tag, error = _field_error(wrong.content.decode())
    assert 'aria-invalid="true"' in tag
    assert error == WRONG_NAME
    assert Clinic.objects.filter(pk=clinic_a.pk).exists()
