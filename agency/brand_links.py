"""Links into a clinic's portal that carry its agency's brand to the sign-in page.

An e-mail to a clinic's people links into their portal (`/clinics/<slug>/portal/…`); opened
signed out, it leads to the sign-in page with `?next=` that link. That page is neutral
(`agency.selectors.agency_for_branding`): an address a visitor types says nothing of a clinic,
not even whether it exists. A link Carewatch put in an e-mail also carries a signature of the
clinic's address (`BRAND_PARAM`): with it, the sign-in page shows the agency's brand that the
e-mail already showed, and nothing more. Without it, or with one made for another address, the
page stays neutral, whether the clinic exists or not."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from django.core.signing import Signer
from django.utils.crypto import constant_time_compare

from agency.models import Agency

BRAND_PARAM = "brand"
_SALT = "agency.brand_links"
_PORTAL = re.compile(r"^/clinics/([a-z0-9][a-z0-9-]{0,49})/portal/")


def _portal_slug(url: str) -> tuple[str | None, object]:
    parts = urlsplit(url or "")
    if parts.scheme or parts.netloc:
        return None, parts
    match = _PORTAL.match(parts.path)
    return (match.group(1) if match else None), parts


def _signature(slug: str) -> str:
    return Signer(salt=_SALT).signature(slug)


def brand_link(path: str) -> str:
    """`path` (a path on this server) with the brand signature added when it points into a
    clinic's portal; any other path unchanged."""
    slug, parts = _portal_slug(path)
    if slug is None:
        return path
    query = [(k, v) for k, v in parse_qs(parts.query, keep_blank_values=True).items()]
    pairs = [(k, value) for k, values in query if k != BRAND_PARAM for value in values]
    pairs.append((BRAND_PARAM, _signature(slug)))
    return urlunsplit(("", "", parts.path, urlencode(pairs), parts.fragment))


def brand_link_agency(next_url: str | None) -> Agency | None:
    """The agency whose brand a sign-in page on the way to `next_url` carries: that of the
    clinic the link points into, when it carries that clinic's signature (`brand_link`);
    else None (the neutral page, for a real clinic and a made-up address alike)."""
    slug, parts = _portal_slug(next_url or "")
    if slug is None:
        return None
    given = parse_qs(parts.query).get(BRAND_PARAM, [""])[-1]
    if not given or not constant_time_compare(given, _signature(slug)):
        return None
    return Agency.objects.filter(clinics__slug=slug).first()


def without_brand_param(query) -> str | None:
    """A request's query (`request.GET`) without the brand signature, encoded, when it carries
    one (the page then answers at its address without it); None when it carries none."""
    if BRAND_PARAM not in query:
        return None
    rest = query.copy()
    rest.pop(BRAND_PARAM)
    return rest.urlencode()


_BRAND_QUERY = re.compile(rf"[?&]{BRAND_PARAM}=[^&#\s]*")


def unbranded(text: str) -> str:
    """`text` with the brand signatures of its portal links taken out (`brand_link`): the
    links as a person reads them, for comparing with the bare portal addresses."""
    return _BRAND_QUERY.sub("", text)
