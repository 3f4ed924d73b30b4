"""Demo agency, three clinics, people in every role and a few hundred reviews.

Safe to run again: what exists is kept, and the demo logins are printed each time."""

import zlib
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tenants.utils import schema_context

from agency.models import Agency
from agency.services import agency_create, agency_member_add
from clinics.models import Clinic
from clinics.services import clinic_create, clinic_member_add
from core.management.base import ServiceCommand
from core.pipeline import reviews_score_after_commit
from demo.reviews import demo_reviews
from feeds.models import ItemKind, Review, ReviewStatus, Source, SourceKind
from feeds.services import ItemIn, reviews_upsert, source_create

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
    },
    {
        "slug": "northgate-derm",
        "name": "Northgate Dermatology",
        "specialty": "dermatology",
        "timezone": "America/Chicago",
        "phone": "+1 312 555 0190",
        "reviews": 140,
        "surge": 0,
    },
    {
        "slug": "lakeview-peds",
        "name": "Lakeview Pediatrics",
        "specialty": "pediatrics",
        "timezone": "America/Los_Angeles",
        "phone": "+1 415 555 0117",
        "reviews": 150,
        "surge": 14,
    },
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
        )
        with schema_context(clinic.schema_name), transaction.atomic():
            sources = {
                SourceKind.GOOGLE: source_create(
                    kind=SourceKind.GOOGLE, name="Google Business Profile"
                ),
                SourceKind.FACEBOOK: source_create(kind=SourceKind.FACEBOOK, name="Facebook page"),
                SourceKind.YELP: source_create(kind=SourceKind.YELP, name="Yelp"),
            }
            # Demo history, not connected accounts: nothing to poll until someone connects them.
            Source.objects.filter(pk__in=[source.pk for source in sources.values()]).update(
                enabled=False, last_error="Demo source: connect the account to start polling."
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
