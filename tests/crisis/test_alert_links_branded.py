"""An incident alert leads a clinic's people, signed out, to a sign-in page in their agency's
brand: the portal link of the e-mail and the acknowledge page's "Open the incident" carry the
clinic's brand signature (agency.brand_links); an answer to the e-mail goes to the agency's
support address."""

from __future__ import annotations

import re

from django.conf import settings
from django.test import Client

from agency.brand_links import brand_link
from crisis.services import incident_notify_opened

PORTAL = "/clinics/clinic-a/portal/incidents/{pk}/"


def _sent(mailoutbox, to: str):
    return next(m for m in mailoutbox if m.to == [to])


def _ack_path(mail) -> str:
    return re.search(r"http://\S+(/alerts/ack/\S+/)", mail.body).group(1)


def test_a_clinic_persons_alert_links_the_portal_in_the_agencys_brand(
    clinic_a, world, incident, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident_notify_opened(incident_id=incident.pk)
    mail = _sent(mailoutbox, "a_legal@clinics.test")
    signed = brand_link(PORTAL.format(pk=incident.pk))
    assert "brand=" in signed
    assert f"Open the incident: {settings.PUBLIC_BASE_URL}{signed}\n" in mail.body
    assert mail.reply_to == ["help@alpha.test"]
    # signed out, the link leads to a sign-in page that names the agency
    login_page = Client().get(signed, follow=True).content.decode()
    assert "Sign in" in login_page and "Alpha Agency" in login_page
    # a link without the signature names nobody (as before)
    assert (
        "Alpha Agency"
        not in Client().get(PORTAL.format(pk=incident.pk), follow=True).content.decode()
    )
    # the acknowledge page leads the clinic's person to the portal, signed, too
    ack = Client().get(_ack_path(mail)).content.decode()
    assert f'<a href="{signed.replace("&", "&amp;")}">Open the incident</a>' in ack


def test_the_agencys_staff_are_led_to_the_incident_room(
    clinic_a, world, incident, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident_notify_opened(incident_id=incident.pk)
    staff = next(m for m in mailoutbox if m.to[0].endswith("@alpha.test"))
    ack = Client().get(_ack_path(staff)).content.decode()
    assert f'<a href="/clinics/clinic-a/incidents/{incident.pk}/">Open the incident</a>' in ack
