"""The port through which `clinics` (a low floor) asks the apps above it what already waits for
a person who can now act on it, and tells them once.

A person added to a clinic (invited, or added with the password they have), or whose role
there changes to one that gives a step (the clinic's approval, legal, the clinician), inherits
what waits at that step: replies and statements (`responses`), the facts the agency asked the
clinic to confirm (`facts`). Each app opens the person's "Waiting for you" lines under the
refs its own notices use, so they close as everyone's do when someone acts, and says what it
told in words; the person then gets one e-mail listing it all (`clinics.arrivals`). The
services are named, not imported: each app owns its part, the mirror of `core.leavers`."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.module_loading import import_string

# What each app tells the person, in-app (`f(arrival) -> list[Awaiting]`, what it told).
ARRIVAL_SERVICES = (
    "responses.arrivals.texts_waiting_tell",
    "facts.arrivals.facts_waiting_tell",
)
# The one e-mail listing it (`f(arrival, items) -> int`, e-mails queued).
ARRIVAL_MAIL = "clinics.arrivals.waiting_mail"


@dataclass(frozen=True)
class Arrival:
    """A person who may do more in one clinic than before (`user_id`, `clinic_id`)."""

    user_id: int
    clinic_id: int


@dataclass(frozen=True)
class Awaiting:
    """One thing that already waits for the arriving person, as their notice says it: `title`
    (never a patient's words), `detail` below it, `url` where they act on it."""

    title: str
    detail: str
    url: str


def arrived(arrival: Arrival) -> int:
    """Tell the person, once, what already waits for them in the clinic (in the caller's
    transaction; the e-mail goes after commit, never failing the caller). Something they were
    already told, still open, is not told again. Returns how many things were told."""
    items: list[Awaiting] = []
    for name in ARRIVAL_SERVICES:
        items.extend(import_string(name)(arrival))
    if items:
        import_string(ARRIVAL_MAIL)(arrival, items)
    return len(items)
