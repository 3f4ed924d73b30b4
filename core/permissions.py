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


# What each permission lets a person do, in words for pages (the codes are for the API).
PERMISSION_WORDS = {
    Permission.VIEW: "read",
    Permission.WRITE: "triage, draft and run incidents",
    Permission.APPROVE_AGENCY: "give the agency's approval",
    Permission.APPROVE_CLIENT: "give the clinic's approval",
    Permission.LEGAL_OVERRIDE: "lift a privacy block (legal)",
    Permission.MANAGE: "manage settings and people",
    Permission.APPROVALS_LOG: "read the approvals log",
}
