"""Pages that list several items name each one (walk 12, findings 11 and 12): the staff
approvals' card titles name the reviewer, the stars and the platform, as the portal's do, and
every button and link of a card says which reply it acts on; the reply editor's "Insert into
the reply" buttons name their fact. Each accessible name also holds the words the control shows
(axe's label-content-name-mismatch), so a voice-control user can say what they see."""

from __future__ import annotations

from html.parser import HTMLParser

from django.utils import timezone
from django_tenants.utils import schema_context

from facts.models import Fact
from feeds.models import Review, Source
from responses.services import replies as reply_services
from tests.portal.helpers import access_for
from tests.responses.conftest import OK_TEXT, review_in

READERS = [("Reviewer 1009", 3), ("Reviewer 1011", 1), ("", 5)]


class _Named(HTMLParser):
    """(tag, accessible name, visible text) of every button and link, and each card's title:
    the name is the aria-label, else the text."""

    def __init__(self):
        super().__init__()
        self.controls: list[tuple[str, str, str]] = []
        self.titles: list[str] = []
        self._open: list[list] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("button", "a") or (tag == "h3" and (attrs.get("id") or "").startswith("reply-")):
            self._open.append([tag, attrs.get("aria-label"), ""])

    def handle_data(self, data):
        for entry in self._open:
            entry[2] += data

    def handle_endtag(self, tag):
        if self._open and self._open[-1][0] == tag:
            _, label, text = self._open.pop()
            text = " ".join(text.split())
            if tag == "h3":
                self.titles.append(text)
            else:
                self.controls.append((tag, label or text, text))


def _named(html: str) -> _Named:
    parser = _Named()
    parser.feed(html)
    return parser


def _waiting_for_the_agency(clinic, world) -> list:
    """A reply to each of READERS' reviews, submitted by the writer: each waits for the
    agency's approval."""
    drafts = []
    for author, stars in READERS:
        review = review_in(clinic, "google", text=f"Review by {author or 'someone'}.")
        with schema_context(clinic.schema_name):
            Review.objects.filter(pk=review.pk).update(author_name=author, rating=stars)
            Source.objects.filter(pk=review.source_id).update(name="Sunrise Family Clinic")
            writer = access_for(world.users["alpha_writer"], clinic)
            draft = reply_services.reply_draft_create(
                review_id=review.pk, access=writer, text=OK_TEXT
            )
            drafts.append(reply_services.reply_submit(draft_id=draft.pk, access=writer))
    return drafts


def test_each_staff_approval_card_names_its_reply(login, world, clinic_a):
    drafts = _waiting_for_the_agency(clinic_a, world)
    assert [d.status for d in drafts] == ["pending_agency"] * 3
    page = login("alpha_manager").get(f"/clinics/{clinic_a.slug}/replies/")
    assert page.status_code == 200
    found = _named(page.content.decode())
    # the titles tell the cards apart: reviewer, stars, platform (and the listing's name)
    assert found.titles == [
        "Reply to Reviewer 1009 (3★) on Google Business Profile · Sunrise Family Clinic",
        "Reply to Reviewer 1011 (1★) on Google Business Profile · Sunrise Family Clinic",
        "Reply to a reviewer (5★) on Google Business Profile · Sunrise Family Clinic",
    ]
    names = [name for tag, name, _ in found.controls if tag == "button"]
    for who in ("Reviewer 1009", "Reviewer 1011", "a reviewer"):
        assert names.count(f"Approve version 1 of the reply to {who}") == 1
        assert names.count(f"Reject with this comment: the reply to {who}, version 1") == 1
    links = [name for tag, name, _ in found.controls if tag == "a"]
    assert links.count("Open in the editor: the reply to Reviewer 1011") == 1
    # no two controls of the cards share a name, and each name holds what the control shows
    acting = [n for n in names if n.startswith(("Approve", "Reject"))]
    assert len(acting) == len(set(acting)) == 6
    for _, name, text in found.controls:
        assert text.lower() in name.lower(), (name, text)
    # the comment box of each card names the reply too
    html = page.content.decode()
    assert 'What should change?<span class="sr-only"> (the reply to Reviewer 1009)</span>' in html


def test_the_writer_reminds_about_a_named_reply(login, world, clinic_a):
    _waiting_for_the_agency(clinic_a, world)
    page = login("alpha_writer").get(f"/clinics/{clinic_a.slug}/replies/")
    names = [name for tag, name, _ in _named(page.content.decode()).controls if tag == "button"]
    assert [n for n in names if n.startswith("Remind")] == [
        "Remind them of the reply to Reviewer 1009",
        "Remind them of the reply to Reviewer 1011",
        "Remind them of the reply to a reviewer",
    ]


def test_the_reply_editor_names_the_fact_each_insert_button_inserts(login, world, clinic_a):
    review = review_in(clinic_a, "google")
    with schema_context(clinic_a.schema_name):
        for slug, title in (("needles", "Single-use needles"), ("hours", "Opening hours")):
            Fact.objects.create(
                slug=slug, title=title, statement=f"{title}: as stated.", source="Policy",
                verified_on=timezone.now().date(),
            )  # fmt: skip
    page = login("alpha_writer").get(f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/")
    assert page.status_code == 200
    inserts = [
        (name, text)
        for tag, name, text in _named(page.content.decode()).controls
        if text == "Insert into the reply"
    ]
    assert inserts == [
        ("Insert into the reply: Opening hours", "Insert into the reply"),
        ("Insert into the reply: Single-use needles", "Insert into the reply"),
    ]
