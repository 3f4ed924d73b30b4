"""White label, end to end: everything a clinic's people see of an agency branded "Brightside
Care Reviews" (its e-mails, the portal's pages, the PDFs, the one-click acknowledge page, the
public statement page, the password pages an e-mail leads to) carries the brand, and never
the product's name "Carewatch" (walk 11, finding 12: the monthly report's e-mail said "0
through Carewatch", the acknowledge page was branded "Carewatch"); the sign-in page, which
cannot know who reads it, names nobody (tests/agency/test_brand_leaks.py). Staff pages and
the API may say Carewatch; this reads only what the clinic reads."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.core import mail, signing
from django.core.cache import caches
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.services import password_change
from clinics.models import Clinic
from crisis.services import detector_settings_update, detectors_run, incident_notify_opened
from crisis.services.alerting import ACK_SALT
from feeds.models import Source
from reports.services import report_send
from tests.agency.conftest import BRAND, NAME
from tests.crisis.conftest import NOW, Stream, acting
from tests.portal.helpers import reply_waiting_for_clinic
from tests.responses.conftest import review_in
from tests.responses.test_public_statements import publish_statement

PRODUCT = "Carewatch"
PORTAL = "/clinics/clinic-a/portal/"
POPPLER = shutil.which("pdftotext")


@pytest.fixture
def story(world, branded, clinic_a, django_capture_on_commit_callbacks):
    """Clinic A's people told of everything the portal shows: an incident (its alert e-mails
    with acknowledge links), a reply waiting for the clinic's approval, a published statement,
    November's report."""
    users = world.users
    with schema_context(clinic_a.schema_name):
        detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
        Stream(source=Source.objects.create(kind="google", name="Google")).add(
            NOW - timedelta(minutes=5), label="negative", text="Measles outbreak at the clinic"
        )
        [incident] = detectors_run(now=NOW, notify=False)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            incident_notify_opened(incident_id=incident.pk)
            review = review_in(clinic_a, "csv", published_at=datetime(2026, 11, 10, 15, tzinfo=UTC))
            reply_waiting_for_clinic(
                clinic=clinic_a, review=review, writer=users["alpha_writer"],
                manager=users["alpha_manager"],
                text="Thank you for your feedback. Please call us at +1 555 0100 so we can help.",
            )  # fmt: skip
            publish_statement(
                clinic_a, users["alpha_writer"], users["alpha_manager"], users["a_approver"],
                title="About the rumour", body="There is no outbreak at the clinic.",
            )  # fmt: skip
            report_send(
                clinic=Clinic.objects.select_related("agency").get(pk=clinic_a.pk),
                month=date(2026, 11, 1), actor=acting("test"),
            )  # fmt: skip
            # (a fresh row: the world's user object is shared by every test)
            viewer = User.objects.get(pk=users["a_viewer"].pk)
            password_change(user=viewer, new_password="a new long passphrase 42")
    return incident


def _clinic_mails(world) -> list:
    clinic_people = {world.users[n].email for n in ("a_approver", "a_viewer", "a_legal")}
    return [m for m in mail.outbox if set(m.to) & clinic_people or "@practice" in m.to[0]]


def _pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "file.pdf"
    path.write_bytes(content)
    out = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True)
    return " ".join(out.stdout.split())


def _ack_token(message) -> str:
    return re.search(r"/alerts/ack/([^/\s]+)/", message.body).group(1)


def _expired(token: str) -> str:
    value = signing.loads(token, salt=ACK_SALT)
    with mock.patch.object(time, "time", return_value=time.time() - 25 * 3600):
        return signing.dumps(value, salt=ACK_SALT, compress=True)


@pytest.mark.skipif(not POPPLER, reason="poppler-utils missing (reads the PDFs)")
def test_a_clinics_people_never_read_carewatch(world, story, login, tmp_path, settings):
    settings.PUBLIC_BASE_URL = "http://portal.test"
    seen: dict[str, str] = {}  # what was read -> its text

    # the e-mails: the incident alert, the reply waiting for approval, the statement, the
    # monthly report (text, HTML and its PDF), the security notice, the password reset
    mails = _clinic_mails(world)
    caches["default"].clear()  # the reset form's throttle
    Client().post("/password-reset/", {"email": world.users["a_viewer"].email})
    reset = mail.outbox[-1]
    for message in [*mails, reset]:
        name = f"mail {message.to[0]}: {message.subject}"
        seen[name] = " ".join(
            [message.subject, message.from_email, message.body]
            + [html for html, _kind in getattr(message, "alternatives", [])]
        )
        for filename, content, _kind in message.attachments:
            seen[f"{name} ({filename})"] = _pdf_text(content, tmp_path)
    subjects = {m.subject for m in mails}
    assert any("incident" in s.lower() for s in subjects), subjects
    assert any("report for November 2026" in s for s in subjects), subjects
    assert reset.subject == f"Reset your {BRAND} password"

    # the one-click acknowledge page, signed out: to press, pressed, used again, expired
    legal_alert = next(
        m for m in mails if m.to == ["a_legal@clinics.test"] and "/alerts/ack/" in m.body
    )
    token = _ack_token(legal_alert)
    ack = f"/alerts/ack/{token}/"
    seen["ack page"] = Client().get(ack).content.decode()
    seen["ack done"] = Client().post(ack).content.decode()
    seen["ack used"] = Client().post(ack).content.decode()
    seen["ack expired"] = Client().get(f"/alerts/ack/{_expired(token)}/").content.decode()

    # the public statement page and the password link's page (the sign-in page an e-mail's
    # link leads to signed out names nobody, below: nothing in an address brands a page)
    seen["public statements"] = Client().get("/statements/clinic-a/").content.decode()
    sign_in = Client().get("/login/", {"next": f"{PORTAL}approvals/"}).content.decode()
    assert BRAND not in sign_in and NAME not in sign_in and PRODUCT not in sign_in
    link = re.search(r"http://portal\.test(/password-reset/\S+/\S+/)", reset.body).group(1)
    seen["password link"] = Client().get(link, follow=True).content.decode()

    # the portal, every page, as its approver and its legal person, and its PDFs
    approver, legal = login("a_approver"), login("a_legal")
    for page in ["", "approvals/", "statements/", "incidents/", f"incidents/{story.pk}/",
                 "follow-ups/", "facts/", "report/?month=2026-11", "approvals-log/",
                 "notifications/", "notifications/settings/"]:  # fmt: skip
        response = approver.get(PORTAL + page)
        assert response.status_code == 200, page
        seen[f"portal {page}"] = response.content.decode()
    seen["portal review (legal)"] = legal.get(f"{PORTAL}review/").content.decode()
    pdf = approver.get(f"{PORTAL}report.pdf?month=2026-11")
    assert pdf["Content-Type"] == "application/pdf"
    seen["portal report.pdf"] = _pdf_text(pdf.content, tmp_path)
    # the account's own pages, a staff page refused, two-factor set-up (the app's entry)
    for page in ["/account/", "/account/notifications/", "/account/two-factor/setup/"]:
        seen[page] = approver.get(page).content.decode()
    seen["refused staff page"] = approver.get("/agency/").content.decode()
    from accounts.services import totp_device_pending

    device = totp_device_pending(user=world.users["a_approver"])
    seen["authenticator app entry"] = device.config_url

    leaks = {what: _around(text) for what, text in seen.items() if PRODUCT in text}
    assert not leaks, "\n".join(f"{what}: {where}" for what, where in leaks.items())
    # and each says who the clinic deals with (a page naming nobody would pass the above)
    unbranded = [
        what
        for what, text in seen.items()
        if BRAND not in text and BRAND.replace(" ", "%20") not in text
    ]
    assert unbranded == [], unbranded


def _around(text: str) -> list[str]:
    return [text[max(0, i - 60) : i + 60] for i in (m.start() for m in re.finditer(PRODUCT, text))]
