"""An e-mail with an HTML part (`core.mail.MailWithAlternatives`, the monthly report) reads the
same in every mail reader when only the HTML part holds non-ASCII characters: every text part
goes quoted-printable (7-bit), never 8-bit (review 14, finding 10)."""

from __future__ import annotations

import email
import email.policy

from core.mail import MailWithAlternatives

HTML = "<p>Clínica Sonrisa — “monthly” report</p>\n"


def test_a_non_ascii_html_part_beside_an_ascii_text_body_is_quoted_printable():
    message = MailWithAlternatives(
        "Your monthly report", "Open the report in your browser.\n", "from@agency.test",
        ["to@clinic.test"],
    )  # fmt: skip
    message.attach_alternative(HTML, "text/html")

    raw = message.message().as_bytes()

    raw.decode("ascii")  # 7-bit throughout
    modern = email.message_from_bytes(raw, policy=email.policy.default)
    text, html = modern.get_payload()
    assert html["Content-Transfer-Encoding"] == "quoted-printable"
    assert html.get_content() == HTML
    assert text.get_content() == "Open the report in your browser.\n"
    legacy = email.message_from_string(raw.decode("ascii"))
    assert legacy.get_payload()[1].get_payload(decode=True).decode("utf-8") == HTML


def test_plain_ascii_mail_with_an_html_part_is_sent_as_django_sends_it():
    message = MailWithAlternatives("Hello", "Plain.\n", "from@agency.test", ["to@clinic.test"])
    message.attach_alternative("<p>Plain.</p>\n", "text/html")

    parts = email.message_from_bytes(message.message().as_bytes()).get_payload()

    assert [part["Content-Transfer-Encoding"] for part in parts] == ["7bit", "7bit"]
