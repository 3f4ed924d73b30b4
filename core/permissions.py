"""What an actor may do in a clinic: the vocabulary every layer checks against. Who is granted
what is decided in one place, `clinics.access`."""

from enum import StrEnum


class Permission(StrEnum):
    VIEW = "view"  # read reviews, incidents, reports
    WRITE = "write"  # ingest, triage, draft replies, run incidents
    APPROVE_AGENCY = "approve_agency"  # the agency's approval step
    APPROVE_CLIENT = "approve_client"  # the clinic client's approval step
    LEGAL_OVERRIDE = "legal_override"  # publish past a guard block, with a reason
    MANAGE = "manage"  # clinic settings, people, sources, API keys, webhooks
    APPROVALS_LOG = "approvals_log"  # read who approved what, when, at which step (and export it)
    # read the privacy requests carried out for the clinic's items (the portal's page)
    PRIVACY_REQUESTS = "privacy_requests"
    # send the agency questions or corrections on a post-crisis review it sent the clinic
    REVIEW_QUESTION = "review_question"


# What each permission lets a person do, in words for pages (the codes are for the API).
PERMISSION_WORDS = {
    Permission.VIEW: "read",
    Permission.WRITE: "triage, draft and run incidents",
    Permission.APPROVE_AGENCY: "give the agency's approval",
    Permission.APPROVE_CLIENT: "give the clinic's approval",
    Permission.LEGAL_OVERRIDE: "lift a privacy block (legal)",
    Permission.MANAGE: "manage settings and people",
    Permission.APPROVALS_LOG: "read the approvals log",
    Permission.PRIVACY_REQUESTS: "read the clinic's privacy requests",
    Permission.REVIEW_QUESTION: "send the agency questions on a post-crisis review",
}


def permission_refusal(
    permission: Permission, *, key_scopes: list[str] | None = None, scope_needed: str = ""
) -> str:
    """Why an actor is refused for lack of `permission`, in words a person reads (the code
    word stays out of it): "Your role in this clinic does not allow you to lift a privacy
    block (legal)." The one sentence of every such refusal (APIs, services, pages). An API key
    has scopes, not a role: with `key_scopes` (the key's) the sentence is the key's, and says
    what would allow it (`scope_needed`, "a key with the write scope"; empty when no key may,
    a person does it). `clinics.access.ClinicAccess.refusal` gives both for its actor."""
    words = PERMISSION_WORDS[permission]
    if key_scopes is None:
        return f"Your role in this clinic does not allow you to {words}."
    held = ", ".join(key_scopes) or "none"
    refused = f"This API key's scopes ({held}) do not allow it to {words}"
    if scope_needed:
        return f"{refused}: that needs {scope_needed}."
    return (
        f"{refused}: no API key may; a person whose role allows it does (signed in, or with "
        "their personal token)."
    )
