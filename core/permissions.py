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
