"""The owners' security log page says each event's details in words, never as Python or
JSON text (the CSV export keeps them as JSON, for machines)."""

from __future__ import annotations

import pytest

from accounts.models import SecurityEventCode as Code
from accounts.services import security_event_record
from agency.security_words import detail_words


def _detail_cells(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = body.split("<tr>")[1:]
    return [row.rsplit("<td>", 1)[1].split("</td>", 1)[0] for row in rows]


def test_the_detail_column_is_in_words(world, login):
    alpha = world.agencies["alpha"]
    analyst = world.users["alpha_analyst"]
    security_event_record(event=Code.LOGIN_SUCCEEDED, actor=analyst, detail={"channel": "web"})
    security_event_record(
        event=Code.LOGIN_FAILED, actor=analyst, detail={"reason": "locked", "channel": "web"}
    )
    security_event_record(event=Code.MEMBER_ADDED, agency_id=alpha.pk, target=analyst)
    html = login("alpha_owner").get("/agency/security-log/").content.decode()
    cells = _detail_cells(html)
    assert cells[:3] == ["—", "refused: the account is locked · via the web", "via the web"]
    assert "{" not in "".join(cells) and "&#x27;" not in "".join(cells)


@pytest.mark.parametrize(
    ("event", "detail", "words"),
    [
        (Code.LOGIN_SUCCEEDED, {"channel": "web"}, "via the web"),
        (Code.LOGIN_SUCCEEDED, {"channel": "api"}, "via the API"),
        (Code.LOGIN_FAILED, {"reason": "locked", "channel": "web"},
         "refused: the account is locked · via the web"),
        (Code.LOGIN_FAILED, {"channel": "api", "reason": "wrong_password"},
         "refused: wrong password · via the API"),
        (Code.LOGIN_FAILED, {"channel": "web", "reason": "wrong_otp"},
         "refused: wrong two-factor code · via the web"),
        (Code.LOGIN_SUCCEEDED, {"channel": "web", "second_factor": "backup_code"},
         "via the web · with a backup code"),
        (Code.OTP_FAILED, {"reason": "wrong_otp"}, "refused: wrong two-factor code"),
        (Code.LOGIN_LOCKED, {"minutes": 15}, "for 15 minutes"),
        (Code.LOGIN_THROTTLED, {"channel": "web", "limit": 20},
         "via the web · more than 20 sign-ins from this address within 15 minutes"),
        (Code.API_KEY_ISSUED,
         {"key_id": 7, "prefix": "ab12", "name": "CRM", "scopes": ["read", "write"]},
         "key “CRM” (cwk_ab12_…) · scopes: read, write"),
        (Code.TOKEN_REVOKED, {"token_ids": [1, 2], "reason": "password_changed"},
         "2 tokens · because the password was changed"),
        (Code.MEMBER_ROLE_CHANGED, {"from": "writer", "to": "analyst"},
         "role from writer to analyst"),
        (Code.CRISIS_ROLES_CHANGED, {"from": [], "to": ["legal", "comms"]},
         "crisis roles from none to legal, comms"),
        (Code.MEMBER_ADDED, {"role": "viewer", "crisis_roles": ["legal"]},
         "as viewer · crisis roles: legal"),
        (Code.MEMBER_REMOVED, {"role": "writer"}, "was writer"),
        (Code.WEBHOOK_SECRET_CHANGED, {"subscription_id": 3, "rotated": True},
         "webhook subscription 3 · secret rotated"),
        (Code.SOURCE_SECRET_CHANGED, {"source_id": 4, "kind": "google", "via": "oauth"},
         "google source 4 · connected by signing in to the platform"),
        (Code.PASSWORD_RESET, {}, ""),
        (Code.LOGIN_SUCCEEDED, {"new_thing": ["a", "b"]}, "new thing: a, b"),
    ],
)  # fmt: skip
def test_details_in_words(event, detail, words):
    assert detail_words(event, detail) == words
