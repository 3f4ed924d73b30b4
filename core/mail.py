"""The e-mails Carewatch sends, as every mail reader decodes them: the one message class
(`Mail`, and `MailWithAlternatives` where an HTML part goes with the text).

Django sends a UTF-8 text body as raw 8-bit bytes, and folds a subject that holds a dash or a
curly quote before its first encoded word ("Subject:" alone on its line). A reader that
decodes such a body from text (Python's `email` compat32 parser, some gateways and archivers)
shows "\\u2014" for "—", and one that unfolds the subject literally starts it with a space.
Here a message with any non-ASCII character in its body or an alternative (the HTML part) has
every text part quoted-printable (7-bit, decoded the same by every reader) and such a subject
is folded after "Subject: ", as RFC 2047 expects; plain ASCII mail is sent exactly as Django
sends it."""

from __future__ import annotations

from email import charset
from email.header import Header

from django.core.mail import EmailMessage, EmailMultiAlternatives

_UTF8_QP = charset.Charset("utf-8")
_UTF8_QP.body_encoding = charset.QP


class _Readable:
    def message(self):
        chosen = self.encoding
        alternatives = getattr(self, "alternatives", ())
        texts = [self.body, *(c for c, _ in alternatives if isinstance(c, str))]
        if chosen is None and not all(str(text).isascii() for text in texts):
            self.encoding = _UTF8_QP  # every text part: the body and each alternative
        try:
            msg = super().message()
        finally:
            self.encoding = chosen
        subject = str(self.subject)
        if not subject.isascii():  # Django refused a line break in it above
            msg.replace_header("Subject", Header(subject, "utf-8", header_name="Subject"))
        return msg


class Mail(_Readable, EmailMessage):
    """An `EmailMessage` every reader decodes (see the module)."""


class MailWithAlternatives(_Readable, EmailMultiAlternatives):
    """An `EmailMultiAlternatives` every reader decodes (see the module)."""
