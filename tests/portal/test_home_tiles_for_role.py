"""The portal's overview shows the approval tiles to those who approve, and a legal or
clinician viewer the tile of their own check instead of "0 replies to approve"."""

from __future__ import annotations

import re


def _tiles(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", t) for t in re.findall(r'<a class="tile.*?</a>', html)]


def test_an_approver_sees_the_approval_tiles(login, clinic_a):
    tiles = _tiles(login("a_approver", otp=False).get("/clinics/clinic-a/portal/").content.decode())
    assert any("to approve" in t for t in tiles)
    assert not any("for your" in t for t in tiles)


def test_a_legal_viewer_sees_her_check_not_approvals_she_cannot_give(login, clinic_a):
    tiles = _tiles(login("a_legal", otp=False).get("/clinics/clinic-a/portal/").content.decode())
    assert not any("to approve" in t for t in tiles)
    assert "0 texts for your legal check" in tiles


def test_a_plain_viewer_sees_neither(login, clinic_a):
    tiles = _tiles(login("a_viewer", otp=False).get("/clinics/clinic-a/portal/").content.decode())
    assert not any("to approve" in t or "for your" in t for t in tiles)
