"""Black-box finding: "1 reply waits to be posted by hand" stayed "waiting for you" (in the
banner, its count, and the notification history) for a writer made an analyst, who may post
nothing. What waits for a person is now what their role allows them to do now, by the one
rule of who may do what (`clinics.access`); given the role back, it waits for them again."""

from __future__ import annotations

from agency.models import AgencyMembership
from agency.services import agency_member_add, agency_member_role_set
from clinics.notifications import notifications_open_for, people_notify
from tests.fixtures.tenants import otp_verify_session

HISTORY = "/account/notifications/history/"
TITLE = "1 reply waits to be posted by hand"


def _writer_told(world, clinic_a) -> AgencyMembership:
    membership = agency_member_add(
        agency=world.agencies["alpha"], email="hand.poster@alpha.test", full_name="Hana Poster",
        role="writer", password="a long poster passphrase 27",
    )  # fmt: skip
    people_notify(
        users=[membership.user], clinic=clinic_a, kind="post_by_hand", ref="by_hand:9001",
        title=TITLE, url=f"/clinics/{clinic_a.slug}/outbox/#group-manual", email=False,
    )  # fmt: skip
    people_notify(
        users=[membership.user], clinic=clinic_a, kind="incident", ref="incident:9001",
        title="Incident opened", url=f"/clinics/{clinic_a.slug}/incidents/1/", email=False,
    )  # fmt: skip
    return membership


def _history(client) -> str:
    return client.get(HISTORY).content.decode()


def test_a_writer_made_an_analyst_no_longer_has_replies_to_post_waiting(world, clinic_a, client):
    # given: a writer told that a reply waits to be posted by hand (and of an incident)
    membership = _writer_told(world, clinic_a)
    user = membership.user
    client.force_login(user)
    otp_verify_session(client, user)
    assert [n.title for n in notifications_open_for(user)] == ["Incident opened", TITLE]
    assert "<strong>2 still wait for you.</strong>" in _history(client)

    # when: an owner makes them an analyst
    agency_member_role_set(membership=membership, role="analyst", acting_role="owner")

    # then: the by-hand notice waits for them no more (banner, count, history); the
    # incident alert, which an analyst still reads, stays
    assert [n.title for n in notifications_open_for(user)] == ["Incident opened"]
    html = _history(client)
    assert "<strong>1 still waits for you.</strong>" in html
    assert "no longer waits for you: your role does not allow it now" in html

    # and given the writer's role back, it waits for them again
    agency_member_role_set(membership=membership, role="writer", acting_role="owner")
    assert [n.title for n in notifications_open_for(user)] == ["Incident opened", TITLE]
