"""The hand-offs between a writer and legal around a privacy block, the same for one reply and
for one answer to many mentions: saving a blocked text asks nobody; submitting it asks legal
(it stays a draft); a newer version the privacy check passes closes legal's request and tells
legal it is no longer needed; legal lifting the block tells the writer, as something waiting
for her, with legal's reason and a link to submit it (closed once she submits or discards);
legal keeping the block tells her what to change."""

from __future__ import annotations

from django_tenants.utils import schema_context

from clinics.models import Notification
from clinics.notifications import notification_digests_send, preference_set
from responses.models import AuditEntry, ReplyBatch, ReplyDraft
from tests.responses.conftest import BLOCK_TEXT, OK_TEXT, review_in
from tests.responses.test_batches import _claim

REASON = "The reviewer published their own chart details; approved by counsel."
KEEP = "Do not mention the chart at all; invite them to call the office."
WRITER = "writer@alpha.test"
LEGAL = "a_legal@clinics.test"


def _notices(ref: str) -> list[tuple[str, str, bool]]:
    rows = Notification.objects.filter(ref=ref).select_related("user").order_by("pk")
    return [(n.user.email, n.kind, n.open) for n in rows]


def test_a_reply_legal_lifts_the_block_of_waits_for_its_writer_until_she_submits_it(
    clinic_a, world, as_user, login, mailoutbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    writer = as_user("alpha_writer", clinic_a)
    review = review_in(clinic_a)
    # saved while blocked: nobody is asked, and the editor does not say legal was told
    with capture(execute=True):
        draft = writer.post("drafts/", {"review_id": review.pk, "text": BLOCK_TEXT}).json()
        writer.patch(f"drafts/{draft['id']}/", {"text": BLOCK_TEXT + " Thanks."})
    ref = f"reply:{draft['id']}"
    assert _notices(ref) == [] and mailoutbox == []
    editor_url = f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/"
    editor = writer.client.get(editor_url).content.decode()
    assert "Waiting for the legal review" not in editor
    assert 'id="ask-legal-button" class="secondary">' in editor  # offered, not hidden

    # the writer sends it to legal from the editor ("Save and ask legal to lift the block")
    with capture(execute=True):
        sent = writer.client.post(
            editor_url,
            {"action": "submit", "text": BLOCK_TEXT + " Thanks.", "draft_id": draft["id"],
             "expected_version": 2},
        )  # fmt: skip
    assert sent.status_code == 302
    page = writer.client.get(editor_url).content.decode()
    assert (
        "Saved and sent to legal: the privacy check blocks this text, and A Legal decides" in page
    )
    assert "Waiting for the legal review of the privacy block from A Legal" in page
    assert _notices(ref) == [(LEGAL, "legal", True)]
    mailoutbox.clear()

    # when legal lifts the block (in the portal)
    with capture(execute=True):
        lifted = login("a_legal").post(
            f"/clinics/{clinic_a.slug}/portal/override/",
            {"kind": "reply", "id": draft["id"], "reason": REASON},
        )
    assert lifted.status_code == 302

    # then the writer is told, as something waiting for her: banner, e-mail and her history
    title = (
        f"A Legal lifted the privacy block on your reply to a 2★ Google Business Profile "
        f"review: {REASON} Submit it."
    )
    told = Notification.objects.get(ref=f"{ref}:lifted")
    assert (told.user.email, told.kind, told.open, told.waits, told.title) == (
        WRITER, "block_lifted", True, True, title
    )  # fmt: skip
    assert told.url == editor_url
    [mail] = mailoutbox
    assert (mail.to, mail.subject) == ([WRITER], f"[Clinic A] {title}")
    assert editor_url in mail.body
    banner = writer.client.get("/alerts/banner/").content.decode()
    # the staff's banner spans clinics: the line starts with its clinic
    assert f'<a href="{editor_url}">Clinic A: {title}</a>' in banner
    history = writer.client.get("/account/notifications/history/").content.decode()
    assert "A Legal lifted the privacy block on your reply" in history
    assert _notices(ref) == [(LEGAL, "legal", False)]  # legal's own notice is done

    # and once she submits it, her notice is done
    submitted = writer.post(f"drafts/{draft['id']}/submit/").json()
    assert submitted["status"] == "pending_agency"
    told.refresh_from_db()
    assert told.open is False


def test_a_lifted_block_goes_in_the_writers_hourly_digest_and_closes_when_she_discards(
    clinic_a, world, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    # given a writer who takes what waits for her in the hourly digest, and no banner
    preference_set(user=world.users["alpha_writer"], email=True, in_app=False, digest="hourly")
    writer = as_user("alpha_writer", clinic_a)
    draft = writer.post("drafts/", {"review_id": review_in(clinic_a).pk, "text": BLOCK_TEXT})
    pk = draft.json()["id"]
    writer.post(f"drafts/{pk}/submit/")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        as_user("a_legal", clinic_a).post(f"drafts/{pk}/override/", {"reason": REASON})
    # no e-mail now: it is owed to her digest (what waits for her is always e-mailed)
    assert [m.to for m in mailoutbox] == []
    told = Notification.objects.get(ref=f"reply:{pk}:lifted")
    assert (told.open, told.email_pending) == (False, True)
    # when she discards the draft before the digest goes, the digest has no line for it
    assert writer.post(f"drafts/{pk}/discard/").status_code == 200
    told.refresh_from_db()
    assert told.email_pending is False
    with schema_context(clinic_a.schema_name):
        notification_digests_send()
    assert not [m for m in mailoutbox if m.to == [WRITER]]


def test_legal_keeping_the_block_tells_the_writer_what_to_change(
    clinic_a, world, as_user, login, mailoutbox, django_capture_on_commit_callbacks
):
    writer = as_user("alpha_writer", clinic_a)
    review = review_in(clinic_a)
    pk = writer.post("drafts/", {"review_id": review.pk, "text": BLOCK_TEXT}).json()["id"]
    writer.post(f"drafts/{pk}/submit/")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        kept = login("a_legal").post(
            f"/clinics/{clinic_a.slug}/portal/override/",
            {"kind": "reply", "id": pk, "action": "send_back", "comment": KEEP,
             "expected_version": 1},
        )  # fmt: skip
    assert kept.status_code == 302
    told = Notification.objects.get(ref=f"reply:{pk}:sent_back")
    assert told.open and told.user.email == WRITER
    assert told.title == (
        "A Legal kept the privacy block on your reply to a 2★ Google Business Profile review: "
        "change the text"
    )
    [mail] = mailoutbox
    assert mail.to == [WRITER]
    assert f"A Legal asks: “{KEEP}” Change the marked words" in mail.body


def test_the_batch_asks_legal_only_when_submitted_and_a_clean_version_closes_the_request(
    clinic_a, world, as_user, login, mailoutbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    cluster_id, _ids = _claim(clinic_a, 3)
    writer = as_user("alpha_writer", clinic_a)
    bid = writer.post("reply-batches/", {"cluster_id": cluster_id}).json()["id"]
    page_url = f"/clinics/{clinic_a.slug}/replies/batches/{bid}/"
    ref = f"reply_batch:{bid}"
    mailoutbox.clear()

    # "Save as version 2" on a blocked text: nobody is asked, the page says nothing of legal
    with capture(execute=True):
        saved = writer.client.post(
            page_url, {"action": "save", "text": BLOCK_TEXT, "expected_version": 1}
        )
    assert saved.status_code == 302
    page = writer.client.get(page_url).content.decode()
    assert "Waiting for the legal review" not in page
    assert ", or ask legal to lift the block." in page
    assert _notices(ref) == [] and mailoutbox == []

    # submitted: legal is asked once, the batch stays a draft
    with capture(execute=True):
        sent = writer.client.post(
            page_url, {"action": "submit", "text": BLOCK_TEXT, "expected_version": 2}
        )
    assert sent.status_code == 302
    page = writer.client.get(page_url).content.decode()
    assert "Saved and sent to legal" in page
    assert "Waiting for the legal review of the privacy block from A Legal" in page
    with schema_context(clinic_a.schema_name):
        assert ReplyBatch.objects.get(pk=bid).status == "draft"
        assert set(ReplyDraft.objects.filter(batch_id=bid).values_list("status", flat=True)) == {
            "draft"
        }
    assert _notices(ref) == [(LEGAL, "legal", True)]
    assert [m.to for m in mailoutbox] == [[LEGAL]]
    mailoutbox.clear()

    # a clean version 3: legal's request closes at once (not at submit), and legal is told
    with capture(execute=True):
        writer.client.post(
            page_url,
            {"action": "save", "text": "{greeting} please call us at {contact_line}.",
             "expected_version": 2},
        )  # fmt: skip
    page = writer.client.get(page_url).content.decode()
    assert "Waiting for the legal review" not in page
    closed = Notification.objects.get(ref=ref)
    assert (closed.open, closed.email_pending) == (False, False)
    assert closed.title == (
        "One reply to 3 mentions of a claim no longer needs your legal review: version 3 "
        "passes the privacy check"
    )
    [mail] = mailoutbox
    assert mail.to == [LEGAL] and "no longer needs your legal review" in mail.subject


def test_legal_lifting_a_batchs_block_tells_its_writer_to_submit_it(
    clinic_a, world, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    cluster_id, _ids = _claim(clinic_a, 2)
    writer = as_user("alpha_writer", clinic_a)
    bid = writer.post("reply-batches/", {"cluster_id": cluster_id}).json()["id"]
    writer.patch(f"reply-batches/{bid}/", {"text": BLOCK_TEXT, "expected_version": 1})
    assert writer.post(f"reply-batches/{bid}/submit/").json()["status"] == "draft"
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        lifted = as_user("a_legal", clinic_a).post(
            f"reply-batches/{bid}/override/", {"reason": REASON}
        )
    assert lifted.status_code == 200, lifted.json()
    told = Notification.objects.get(ref=f"reply_batch:{bid}:lifted")
    assert (told.user.email, told.open) == (WRITER, True)
    assert told.title == (
        f"A Legal lifted the privacy block on your reply to 2 mentions of a claim: {REASON} "
        "Submit it."
    )
    assert told.url == f"/clinics/{clinic_a.slug}/replies/batches/{bid}/"
    assert [m.to for m in mailoutbox] == [[WRITER]]
    # submitted, it goes for approval, and her notice is done
    assert writer.post(f"reply-batches/{bid}/submit/").json()["status"] == "pending_agency"
    told.refresh_from_db()
    assert told.open is False
    with schema_context(clinic_a.schema_name):
        actions = list(
            AuditEntry.objects.filter(object_type="reply_batch", object_id=bid)
            .order_by("pk")
            .values_list("action", flat=True)
        )
    assert actions[-3:] == ["legal_asked", "guard_overridden", "submitted"]


def test_saving_a_clean_text_over_one_legal_was_not_asked_about_tells_legal_nothing(
    clinic_a, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    writer = as_user("alpha_writer", clinic_a)
    with django_capture_on_commit_callbacks(execute=True):
        pk = writer.post(
            "drafts/", {"review_id": review_in(clinic_a).pk, "text": BLOCK_TEXT}
        ).json()["id"]
        writer.patch(f"drafts/{pk}/", {"text": OK_TEXT})
    assert mailoutbox == []
    # legal is told nothing; only its writer has their draft waiting, not submitted yet
    told = Notification.objects.filter(ref__startswith=f"reply:{pk}")
    assert [(n.ref, n.user.email) for n in told.select_related("user")] == [
        (f"reply:{pk}:draft", "writer@alpha.test")
    ]


def test_a_clean_version_replaces_legals_open_request_not_the_one_they_handled_before(
    clinic_a, world, as_user, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    writer = as_user("alpha_writer", clinic_a)
    pk = writer.post("drafts/", {"review_id": review_in(clinic_a).pk, "text": BLOCK_TEXT})
    pk = pk.json()["id"]
    ref = f"reply:{pk}"
    # given legal lifted the block on version 1 (their request closes, in their history)
    with capture(execute=True):
        writer.post(f"drafts/{pk}/submit/")
        as_user("a_legal", clinic_a).post(f"drafts/{pk}/override/", {"reason": REASON})
    [handled] = Notification.objects.filter(ref=ref, user__email=LEGAL)
    assert (handled.kind, handled.open) == ("legal", False)
    # and a blocked version 2 was sent to legal again
    with capture(execute=True):
        writer.patch(f"drafts/{pk}/", {"text": BLOCK_TEXT + " Thanks."})
        writer.post(f"drafts/{pk}/submit/")
    assert _notices(ref) == [(LEGAL, "legal", False), (LEGAL, "legal", True)]

    # when a clean version 3 replaces it
    with capture(execute=True):
        writer.patch(f"drafts/{pk}/", {"text": OK_TEXT})

    # then the open request is replaced by the news; the request legal acted on stays
    rows = Notification.objects.filter(ref=ref, user__email=LEGAL).order_by("pk")
    assert [(n.pk, n.kind, n.open) for n in rows] == [
        (handled.pk, "legal", False),
        (rows[1].pk, "legal_not_needed", False),
    ]
    assert rows[0].title == handled.title
