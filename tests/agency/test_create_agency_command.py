"""`create_agency --owner-email` without `--owner-password` invites the owner to choose a
password (an account without one could never sign in: "Forgot your password?" skips it).
`create_agency --slug S --resend-invitation` sends a fresh one to each owner of an existing
agency who never chose a password (one created before owners were invited had no way in),
and refuses, naming why, an unknown slug or an agency whose owners all have a password."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import User
from agency.services import agency_create, agency_member_add


def test_an_owner_without_a_password_is_invited_to_choose_one(db):
    mail.outbox.clear()
    out = StringIO()
    call_command(
        "create_agency", "--name", "Harbor & Pine", "--slug", "harbor-pine",
        "--support-email", "help@harbor.test", "--owner-email", "hanna@harbor.test",
        "--owner-name", "Hanna", stdout=out,
    )  # fmt: skip
    assert "An invitation e-mail to hanna@harbor.test has a link to choose a password" in (
        out.getvalue()
    )
    [invitation] = mail.outbox
    assert invitation.to == ["hanna@harbor.test"]
    assert invitation.subject == "You are invited to Harbor & Pine"
    assert "Harbor & Pine" in invitation.from_email
    link = re.search(r"http://\S+(/password-reset/\S+/)", invitation.body).group(1)
    opened = Client().get(link)
    assert opened.status_code == 302 and opened["Location"].endswith("/set-password/")


def test_an_owner_given_a_password_gets_no_invitation(db):
    mail.outbox.clear()
    call_command(
        "create_agency", "--name", "Cedar", "--slug", "cedar", "--support-email", "h@cedar.test",
        "--owner-email", "o@cedar.test", "--owner-password", "a long passphrase 42",
        stdout=StringIO(),
    )  # fmt: skip
    assert mail.outbox == []
    assert User.objects.get(email="o@cedar.test").has_usable_password()


@pytest.fixture
def locked_out(db):
    """An agency created before owners were invited: two owners without a password, one with,
    and a writer without (not an owner: not this command's to invite); and one with no owner."""
    agency = agency_create(name="Old Oak", slug="old-oak", support_email="help@oak.test")
    for email, role, password in [
        ("zoe@oak.test", "owner", None), ("ada@oak.test", "owner", None),
        ("pat@oak.test", "owner", "a long passphrase 42"), ("wes@oak.test", "writer", None),
    ]:  # fmt: skip
        agency_member_add(agency=agency, email=email, full_name="", role=role, password=password)
    agency_create(name="Bare", slug="bare", support_email="help@bare.test")  # no owner at all
    mail.outbox.clear()
    return agency


def test_resending_invites_each_owner_who_never_chose_a_password(locked_out):
    out = StringIO()
    call_command("create_agency", "--slug", "old-oak", "--resend-invitation", stdout=out)
    said = out.getvalue()
    assert said.index("to ada@oak.test has a link") < said.index("to zoe@oak.test has a link")
    assert "pat@oak.test" not in said and "wes@oak.test" not in said
    assert sorted(m.to[0] for m in mail.outbox) == ["ada@oak.test", "zoe@oak.test"]
    invitation = next(m for m in mail.outbox if m.to == ["ada@oak.test"])
    assert invitation.subject == "You are invited to Old Oak"
    link = re.search(r"http://\S+(/password-reset/\S+/)", invitation.body).group(1)
    opened = Client().get(link)
    assert opened.status_code == 302 and opened["Location"].endswith("/set-password/")
    # a second run sends fresh links: the first one stops working
    call_command("create_agency", "--slug", "old-oak", "--resend-invitation", stdout=StringIO())
    assert Client().get(link).status_code != 302


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--slug", "no-such-agency"], "No agency has the slug 'no-such-agency'"),
        (["--slug", "bare"], "The agency bare has no active owner: nothing was sent."),
        (["--slug", "old-oak", "--name", "Old Oak"], "--resend-invitation takes only --slug"),
    ],
)
def test_resending_refuses_an_unknown_agency_one_without_owners_or_creation_options(
    locked_out, args, words
):
    with pytest.raises(CommandError, match=re.escape(words)):
        call_command("create_agency", *args, "--resend-invitation", stdout=StringIO())
    assert mail.outbox == []


def test_resending_refuses_when_every_owner_has_a_password(locked_out):
    for owner in User.objects.filter(email__in=["zoe@oak.test", "ada@oak.test"]):
        owner.set_password("another long passphrase 7")
        owner.save(update_fields=["password"])
    with pytest.raises(CommandError, match="Every owner of old-oak has a password already"):
        call_command("create_agency", "--slug", "old-oak", "--resend-invitation", stdout=StringIO())
    assert mail.outbox == []


def test_creating_still_needs_a_name_and_a_support_address(db):
    with pytest.raises(CommandError, match="--name and --support-email needed to create"):
        call_command("create_agency", "--slug", "nameless", stdout=StringIO())
