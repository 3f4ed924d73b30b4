"""Demo agency, three clinics, people in every role and a few hundred reviews, with replies
at every step of their approval and weeks of replies published.

Safe to run again: what exists is kept, and the demo logins are printed each time."""

import random
import zlib
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from agency.models import Agency
from agency.services import agency_create, agency_member_add
from clinics.access import user_access
from clinics.models import Clinic
from clinics.services import clinic_create, clinic_member_add
from core.management.base import ServiceCommand
from core.pipeline import reviews_score_after_commit
from demo.reviews import demo_reviews
from feeds.models import ItemKind, Review, ReviewStatus, Source, SourceKind
from feeds.services import ItemIn, reviews_upsert, source_create
from responses.models import ApprovalStatus, OutboxItem, ReplyDraft, ReplyVersion
from responses.services.outbox import outbox_mark_posted
from responses.services.replies import (
    reply_approve,
    reply_draft_create,
    reply_reject,
    reply_submit,
)

DEMO_PASSWORD = "carewatch-demo"  # noqa: S105 - printed demo login
AGENCY = {
    "name": "Brightside Health Marketing",
    "slug": "brightside",
    "display_name": "Brightside Care Reviews",
    "support_email": "support@brightside.example",
    "primary_colour": "#0B6E4F",
}
STAFF = [
    ("owner", "olivia.owner@brightside.example", "Olivia Owner"),
    ("manager", "max.manager@brightside.example", "Max Manager"),
    ("writer", "wren.writer@brightside.example", "Wren Writer"),
    ("analyst", "ari.analyst@brightside.example", "Ari Analyst"),
]
CLINICS = [
    {
        "slug": "riverside-dental",
        "name": "Riverside Family Dental",
        "specialty": "dental",
        "timezone": "America/New_York",
        "phone": "+1 212 555 0142",
        "reviews": 160,
        "surge": 0,
        "weights": (62, 22, 8, 4, 4),  # about 4.4 stars: the practice everyone likes
        "reply_minutes": (45, 300),  # answered within hours
    },
    {
        "slug": "northgate-derm",
        "name": "Northgate Dermatology",
        "specialty": "dermatology",
        "timezone": "America/Chicago",
        "phone": "+1 312 555 0190",
        "reviews": 140,
        "surge": 0,
        "weights": (46, 22, 12, 8, 12),  # about 3.9
        "reply_minutes": (120, 720),
    },
    {
        "slug": "lakeview-peds",
        "name": "Lakeview Pediatrics",
        "specialty": "pediatrics",
        "timezone": "America/Los_Angeles",
        "phone": "+1 415 555 0117",
        "reviews": 150,
        "surge": 14,
        "weights": (36, 18, 12, 12, 22),  # about 3.3: a clinic in trouble
        "reply_minutes": (240, 1680),  # slower: the clinic is slow to approve
    },
]
# Replies published in past weeks: thanks for a good review, an invitation to call for a bad one
PUBLISHED_TEXT = {
    "good": [
        "Thank you for your kind words! We will share them with the whole team.",
        "Thank you for taking the time to write this. It means a lot to our team.",
        "We really appreciate your feedback and will pass it on to the whole team. Thank you!",
    ],
    "bad": [
        "Thank you for your feedback. We are sorry about the wait and would like to hear "
        "more: please call our office so we can look into it.",
        "We are sorry to read this. Our practice manager would like to make it right: "
        "please call our office at your convenience.",
        "Thank you for telling us. This is not the experience we want for anyone, and we "
        "would like to talk it through: please call our office.",
    ],
}
# The replies in progress, one where each step waits: (where it stops, text, comment)
WAITING = [
    (
        "agency",
        "Thank you for telling us about this. We are sorry and would like to make it "
        "right: please call our office so we can look into it.",
        "",
    ),
    (
        "legal",  # names a clinician without a staff list: the privacy check asks for legal
        "We are sorry about the wait. Dr. Patel would like to discuss this with you; please "
        "call the office.",
        "",
    ),
    (
        "client",
        "Thank you for your feedback, and we are sorry about your experience. Our practice "
        "manager would like to hear more: please call our office at your convenience.",
        "",
    ),
    (
        "sent_back",
        "Sorry you had a bad time. Please call us.",
        "Please make this warmer and invite them to call our practice manager; we would "
        "rather not say “bad time”.",
    ),
]
# (role, crisis roles, local part, name)
CLINIC_PEOPLE = [
    ("approver", ["comms"], "approver", "Avery Approver"),
    ("viewer", [], "viewer", "Vic Viewer"),
    ("viewer", ["legal"], "legal", "Lee Legal"),
    ("viewer", ["clinician"], "clinician", "Dr Cam Clinician"),
    ("viewer", ["social"], "social", "Sol Social"),
]


class Command(ServiceCommand):
    help = "Create the demo agency, 3 clinics, their people and reviews; print the logins."

    def handle(self, *args, **options):
        agency = Agency.objects.filter(slug=AGENCY["slug"]).first()
        created = agency is None
        if created:
            agency = agency_create(**AGENCY)
            for role, email, name in STAFF:
                agency_member_add(
                    agency=agency, email=email, full_name=name, role=role, password=DEMO_PASSWORD
                )
        logins = [(f"agency {role}", email) for role, email, _ in STAFF]
        for spec in CLINICS:
            clinic = Clinic.objects.filter(slug=spec["slug"]).first()
            if clinic is None:
                clinic = clinic_create(
                    agency=agency,
                    name=spec["name"],
                    slug=spec["slug"],
                    timezone=spec["timezone"],
                    specialties=[spec["specialty"]],
                    phone=spec["phone"],
                    email=f"hello@{spec['slug']}.example",
                    contact_url=f"https://{spec['slug']}.example/contact",
                    reply_target_minutes=240,
                )
                for role, crisis, local, name in CLINIC_PEOPLE:
                    clinic_member_add(
                        clinic=clinic,
                        email=f"{local}@{spec['slug']}.example",
                        full_name=name,
                        role=role,
                        crisis_roles=crisis,
                        password=DEMO_PASSWORD,
                    )
                self._seed_reviews(clinic, spec)
                self.stdout.write(
                    f"Created {clinic.name} with {spec['reviews'] + spec['surge']} reviews."
                )
            for role, crisis, local, _ in CLINIC_PEOPLE:
                label = f"{spec['slug']} {role}" + (f" ({', '.join(crisis)})" if crisis else "")
                logins.append((label, f"{local}@{spec['slug']}.example"))
        self.stdout.write(
            self.style.SUCCESS("Demo data ready." if created else "Demo data already present.")
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for label, email in logins:
            self.stdout.write(f"  {label:<40} {email}")

    @staticmethod
    def _seed_reviews(clinic, spec) -> None:
        now = timezone.now()
        rows = demo_reviews(
            seed=zlib.crc32(spec["slug"].encode()) % 10_000,
            specialty=spec["specialty"],
            count=spec["reviews"],
            now=now,
            surge=spec["surge"],
            weights=spec["weights"],
        )
        with schema_context(clinic.schema_name), transaction.atomic():
            sources = {
                SourceKind.GOOGLE: source_create(
                    kind=SourceKind.GOOGLE, name="Google Business Profile"
                ),
                SourceKind.FACEBOOK: source_create(kind=SourceKind.FACEBOOK, name="Facebook page"),
                SourceKind.YELP: source_create(kind=SourceKind.YELP, name="Yelp"),
            }
            # Demo history, not connected accounts: turned on, but nothing is polled until
            # someone connects them (a source without credentials is never read), and the
            # agency posts its replies there by hand (it says so, never a faked connection).
            Source.objects.filter(pk__in=[source.pk for source in sources.values()]).update(
                enabled=True, replies_by_hand=True, last_error=""
            )
            buckets: dict[str, list[ItemIn]] = {kind: [] for kind in sources}
            kinds = list(sources)
            for i, row in enumerate(rows):
                kind = (
                    SourceKind.FACEBOOK
                    if row.get("kind") == ItemKind.MENTION
                    else kinds[i % len(kinds)]
                )
                buckets[kind].append(ItemIn(**row))
            seeded: list[int] = []
            for kind, items in buckets.items():
                seeded += [done.pk for done in reviews_upsert(source=sources[kind], items=items)]
            reviews_score_after_commit(
                seeded
            )  # scored by the ml worker within a minute of `make run`
            # Older reviews have been dealt with; the last days' wait in the inbox.
            Review.objects.filter(published_at__lt=now - timedelta(days=3)).update(
                status=ReviewStatus.REPLIED
            )
            Review.objects.filter(published_at__gte=now - timedelta(days=3), rating__lte=3).update(
                status=ReviewStatus.NEEDS_REPLY
            )
            # The demo reads as 90 days of watching, not as a history imported today: each item
            # was stored as it was published, so the dashboard's "new in the last 24 hours" is
            # the last day's (not all 90 days'), and the reports' months are not "history".
            Review.objects.filter(pk__in=seeded).update(created_at=F("published_at"))
        Clinic.objects.filter(pk=clinic.pk).update(
            created_at=min(row["published_at"] for row in rows) - timedelta(days=1)
        )
        Command._seed_replies(clinic, spec, now)

    @staticmethod
    def _seed_replies(clinic, spec, now) -> None:
        """Replies through the real approval chain (writer → agency approver → legal where the
        privacy check asks → the clinic in its portal → posted by hand): weeks of them
        published, each at its review's time plus a reply time of the clinic's own pace, and
        one waiting at each step (the agency, legal, the clinic) and one sent back."""
        rng = random.Random(zlib.crc32(f"replies-{spec['slug']}".encode()))
        emails = {
            "writer": STAFF[2][1],
            "agency": STAFF[1][1],
            "client": f"approver@{spec['slug']}.example",
            "legal": f"legal@{spec['slug']}.example",
        }
        users = {u.email: u for u in User.objects.filter(email__in=emails.values())}
        with schema_context(clinic.schema_name), transaction.atomic():
            access = {step: user_access(users[email], clinic) for step, email in emails.items()}
            rated = Review.objects.filter(rating__isnull=False).order_by("-published_at", "pk")
            # the four latest unhappy reviews get the replies in progress (not on Google: the
            # API guide, docs/integrate.md, drafts a reply to the latest Google review) ...
            waiting = list(
                rated.filter(rating__lte=3).exclude(source__kind=SourceKind.GOOGLE)[: len(WAITING)]
            )
            # ... and nine older ones, the latest days' first, were answered in past weeks
            older = [
                r
                for r in rated.filter(
                    published_at__lt=now - timedelta(hours=20),
                    published_at__gte=now - timedelta(days=60),
                )
                if r not in waiting
            ]
            answered = older[:3] + older[3 :: max(1, (len(older) - 3) // 6)][:6]
            for review in answered:
                text = PUBLISHED_TEXT["good" if review.rating >= 4 else "bad"][review.pk % 3]
                draft = reply_draft_create(review_id=review.pk, access=access["writer"], text=text)
                reply_submit(draft_id=draft.pk, access=access["writer"])
                draft = reply_approve(draft_id=draft.pk, access=access["agency"])
                if draft.status == ApprovalStatus.PENDING_LEGAL:  # the review's words asked
                    reply_approve(draft_id=draft.pk, access=access["legal"])
                reply_approve(draft_id=draft.pk, access=access["client"])
                item = OutboxItem.objects.get(draft=draft)
                outbox_mark_posted(
                    item_id=item.pk,
                    access=access["writer"],
                    url=f"https://{spec['slug']}.example/demo-reviews/{review.external_id}",
                )
                Command._backdate(draft, review, rng.randint(*spec["reply_minutes"]), now)
            for review, (stop, text, comment) in zip(waiting, WAITING, strict=False):
                draft = reply_draft_create(review_id=review.pk, access=access["writer"], text=text)
                reply_submit(draft_id=draft.pk, access=access["writer"])
                if stop in ("legal", "client", "sent_back"):
                    reply_approve(draft_id=draft.pk, access=access["agency"])
                if stop == "sent_back":
                    reply_reject(draft_id=draft.pk, access=access["client"], comment=comment)
            Review.objects.filter(pk__in=[r.pk for r in waiting]).update(
                status=ReviewStatus.NEEDS_REPLY
            )

    @staticmethod
    def _backdate(draft, review, minutes: int, now) -> None:
        """The reply was written and posted in the `minutes` after its review, not today: the
        draft's, its version's and its post's times say so. The approvals log is append-only
        and is left as it was written: it records that the demo's approvals were given when
        the demo was made."""
        published = min(review.published_at + timedelta(minutes=minutes), now - timedelta(hours=1))
        start = min(review.published_at + timedelta(minutes=minutes * 0.3), published)
        ReplyVersion.objects.filter(draft=draft).update(created_at=start)
        OutboxItem.objects.filter(draft=draft).update(
            created_at=published, updated_at=published, sent_at=published
        )
        ReplyDraft.objects.filter(pk=draft.pk).update(
            created_at=start, updated_at=published, published_at=published
        )
