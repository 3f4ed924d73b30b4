from django.core.management.base import CommandError
from django.db import transaction

from accounts.tokens import invitation_lifetime
from agency.models import Agency, AgencyMembership, AgencyRole
from agency.services import agency_create, agency_member_add, staff_duties, user_invite_send
from core.management.base import ServiceCommand


class Command(ServiceCommand):
    help = (
        "Create an agency, optionally with its owner. With --resend-invitation (and only "
        "--slug): e-mail a fresh invitation to each owner of that agency who never chose a "
        "password (an agency created before owners were invited has no other way in)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", help="Required to create an agency.")
        parser.add_argument("--slug", required=True)
        parser.add_argument("--support-email", help="Required to create an agency.")
        parser.add_argument("--display-name", default="")
        parser.add_argument("--colour", default="#1F6FEB", help="Primary colour, like #1F6FEB.")
        parser.add_argument("--owner-email")
        parser.add_argument("--owner-name", default="")
        parser.add_argument("--owner-password")
        parser.add_argument(
            "--resend-invitation",
            action="store_true",
            help="Send the agency (--slug) owners who have no password yet a new invitation.",
        )

    def handle(self, *args, **o):
        if o["resend_invitation"]:
            return self._resend(o)
        missing = [f"--{k.replace('_', '-')}" for k in ("name", "support_email") if not o[k]]
        if missing:
            raise CommandError(
                f"{' and '.join(missing)} needed to create an agency (or --resend-invitation "
                "to invite the owners of an existing one again)."
            )
        return self._create(o)

    @transaction.atomic  # an owner who could not be invited leaves no agency behind: run again
    def _create(self, o):
        agency = agency_create(
            name=o["name"],
            slug=o["slug"],
            support_email=o["support_email"],
            display_name=o["display_name"],
            primary_colour=o["colour"],
        )
        self.stdout.write(self.style.SUCCESS(f"Created agency {agency.slug} ({agency.name})."))
        if o["owner_email"]:
            membership = agency_member_add(
                agency=agency,
                email=o["owner_email"],
                full_name=o["owner_name"],
                role="owner",
                password=o["owner_password"],
            )
            self.stdout.write(f"Owner: {o['owner_email']}")
            if not membership.user.has_usable_password():
                # no password given: the owner chooses one through an invitation, as every
                # person added on a people page does ("Forgot your password?" skips an
                # account without one, so without it they could never sign in)
                sent = user_invite_send(
                    user=membership.user,
                    agency=agency,
                    place=agency.name,
                    duties=[staff_duties(membership)],
                    invited_by="Your administrator",
                )
                if not sent:
                    raise CommandError(
                        f"The invitation e-mail to {o['owner_email']} could not be sent: check "
                        "the mail settings, then run the command again with --owner-password."
                    )
                self.stdout.write(
                    f"An invitation e-mail to {o['owner_email']} has a link to choose a "
                    f"password (it works once, for {invitation_lifetime()})."
                )

    def _resend(self, o):
        """A fresh invitation to each owner of the agency who never chose a password (earlier
        links stop working); refused for an unknown agency, for creation options given with
        it, and when every owner has a password already ("Forgot your password?" is theirs)."""
        given = [
            f"--{k.replace('_', '-')}"
            for k in ("name", "support_email", "display_name", "owner_email", "owner_name")
            if o[k]
        ] + (["--owner-password"] if o["owner_password"] else [])
        if given:
            raise CommandError(
                f"--resend-invitation takes only --slug; {', '.join(given)} would create an "
                "agency: leave them out."
            )
        agency = Agency.objects.filter(slug=o["slug"]).first()
        if agency is None:
            raise CommandError(f"No agency has the slug {o['slug']!r}: check it and run again.")
        all_owners = (
            AgencyMembership.objects.filter(
                agency=agency, role=AgencyRole.OWNER, user__is_active=True
            )
            .select_related("user")
            .order_by("user__email")
        )
        if not all_owners:
            raise CommandError(f"The agency {agency.slug} has no active owner: nothing was sent.")
        owners = [m for m in all_owners if not m.user.has_usable_password()]
        if not owners:
            raise CommandError(
                f"Every owner of {agency.slug} has a password already: nothing was sent. An "
                'owner who forgot theirs uses "Forgot your password?" on the sign-in page.'
            )
        failed = []
        for membership in owners:
            email = membership.user.email
            sent = user_invite_send(
                user=membership.user,
                agency=agency,
                place=agency.name,
                duties=[staff_duties(membership)],
                invited_by="Your administrator",
                again=True,
            )
            if sent:
                self.stdout.write(
                    f"An invitation e-mail to {email} has a link to choose a password (it "
                    f"works once, for {invitation_lifetime()}); earlier links stop working."
                )
            else:
                failed.append(email)
        if failed:
            raise CommandError(
                f"The invitation e-mail to {', '.join(failed)} could not be sent: check the "
                "mail settings, then run the command again."
            )
