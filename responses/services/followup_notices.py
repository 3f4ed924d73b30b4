"""What a private follow-up's owner is told, and when those notices close: below the
follow-up's own services (`responses.services.private`) and the service that settles reviews
(`responses.services.settling`), which both close follow-ups."""

from __future__ import annotations

from accounts.models import User
from accounts.selectors import user_is_agency_staff
from clinics.models import Clinic
from clinics.notifications import notifications_close, people_notify
from responses.models import PrivateConversation

# the notices of a follow-up that wait for its owner: it is theirs, they got an answer, it
# is overdue (each `followup:<id>:<kind>`)
WAITING_KINDS = ("follow_up", "follow_up_answer", "follow_up_overdue")


def followup_ref(conversation_id: int, kind: str) -> str:
    """The ref of a follow-up's notices of `kind`: what closes them with it
    (`followup_notices_close`), whoever they were sent to (its owner; the managers a leaver's
    follow-ups are handed to, `responses.leavers`)."""
    return f"followup:{conversation_id}:{kind}"


def followup_owner_tell(
    conversation: PrivateConversation,
    clinic: Clinic,
    *,
    kind: str,
    title: str,
    detail: str = "",
    waits: bool = True,
) -> dict[int, list[str]]:
    """In-app and e-mail to the follow-up's owner, as they chose in their notification
    settings, with a link to where they act on it: the follow-up's page for the agency's
    people, the portal's follow-ups for the clinic's. `waits=False`: for their information
    only (their history, and the e-mail if they take those). Nobody without an owner."""
    if conversation.owner_id is None:
        return {}
    user = User.objects.filter(pk=conversation.owner_id, is_active=True).first()
    if user is None:
        return {}
    return people_notify(
        users=[user],
        clinic=clinic,
        kind=kind,
        ref=followup_ref(conversation.pk, kind),
        title=title,
        detail=detail,
        # one of the clinic's own people acts on it in the portal
        url=f"/clinics/{clinic.slug}/follow-ups/{conversation.pk}/"
        if user_is_agency_staff(user)
        else f"/clinics/{clinic.slug}/portal/follow-ups/?open={conversation.pk}",
        waits=waits,
    )


def followup_notices_close(conversation: PrivateConversation, clinic: Clinic) -> int:
    """The follow-up was closed (its owner said how it ended, or its review was settled):
    nothing about it waits for its owner any more (banner, badge, the next digest)."""
    return sum(
        notifications_close(clinic=clinic, ref=followup_ref(conversation.pk, kind))
        for kind in WAITING_KINDS
    )
