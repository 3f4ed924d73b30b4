"""The port through which `accounts` (below the agency) words a person's own e-mails (a
password reset link, a security notice, the authenticator app's entry) in the brand that
person knows: a clinic's people know their agency's brand, never "Carewatch"; the agency's
staff know its name. `agency.branding.person_brand` answers; it is named, not imported
(docs/architecture.md)."""

from __future__ import annotations

from typing import NamedTuple

from django.utils.module_loading import import_string

PERSON_BRAND = "agency.branding.person_brand"
PRODUCT = "Carewatch"  # the name for a person of no agency (a superuser, an account left over)


class Brand(NamedTuple):
    name: str  # what the person calls the service: "Your Brightside Care Reviews password"
    sender: str  # the From of the e-mails they get
    # where an answer to those e-mails goes (the agency's support address; none: the sender)
    reply_to: tuple[str, ...] = ()


def person_brand(user) -> Brand:
    """The brand `user` knows, and the sender of their e-mails."""
    return import_string(PERSON_BRAND)(user)


def totp_issuer(device) -> str:
    """OTP_TOTP_ISSUER: the name an authenticator app lists the person's codes under."""
    return person_brand(device.user).name


def as_brand(name: str, brand: str) -> str:
    """A name as a clinic's people read it: the product's own parts, which are named after it
    (`Actor.of_system`: "Carewatch", "Carewatch detectors"), take the agency's brand instead
    ("Brightside Care Reviews detectors"); anyone else's name stays."""
    return f"{brand}{name[len(PRODUCT) :]}" if name.startswith(PRODUCT) else name
