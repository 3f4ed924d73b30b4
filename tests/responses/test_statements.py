"""Pinned statements: approval, the public page, pinning on Facebook, unpinning, history."""

from __future__ import annotations

from django_tenants.utils import schema_context

from core.crypto import encrypt_json
from responses.models import OutboxItem
from responses.services.outbox import outbox_deliver
from tests.responses.conftest import source_of
from webhooks.models import WebhookDelivery, WebhookSubscription

BODY = (
    "Our clinic is open as usual. All reusable instruments are sterilised after every use, "
    "and the county inspection found no issues. Questions: +1 555 0100."
)


def _deliver_all(clinic) -> list[str]:
    with schema_context(clinic.schema_name):
        ids = (
            OutboxItem.objects.filter(status="pending").order_by("pk").values_list("pk", flat=True)
        )
        return [outbox_deliver(item_id=pk) for pk in list(ids)]


def test_statement_through_approval_onto_the_public_page_and_pinned_then_unpinned(
    platforms, clinic_a, as_user, client
):
    # given a Facebook page (which can pin), a Google source (which cannot), a subscriber
    with schema_context(clinic_a.schema_name):
        page = source_of("facebook", platforms)
        source_of("google", platforms)
        WebhookSubscription.objects.create(
            url="https://hooks.example/carewatch",
            events=["statement.published"],
            secret_encrypted=encrypt_json({"secret": "s" * 32}),
        )
    writer = as_user("alpha_writer", clinic_a)

    # when a statement is written, approved by the agency and the clinic, and published
    created = writer.post("statements/", {"title": "About today's closure rumour", "body": BODY})
    assert created.status_code == 201, created.json()
    statement = created.json()
    assert (statement["status"], statement["version"], statement["guard_verdict"]) == (
        "draft",
        1,
        "ok",
    )
    sid = statement["id"]
    assert writer.post(f"statements/{sid}/submit/").json()["status"] == "pending_agency"
    assert writer.post(f"statements/{sid}/publish/").status_code == 409  # not approved yet
    assert as_user("alpha_writer", clinic_a).post(f"statements/{sid}/approve/").status_code == 403
    as_user("alpha_manager", clinic_a).post(f"statements/{sid}/approve/")
    approved = as_user("a_approver", clinic_a).post(f"statements/{sid}/approve/").json()
    assert approved["status"] == "approved"
    assert client.get("/statements/clinic-a/").content.decode().count("closure rumour") == 0
    published = writer.post(f"statements/{sid}/publish/").json()
    assert (published["status"], published["is_pinned"]) == ("published", True)
    assert [(i["kind"], i["source_id"]) for i in published["outbox"]] == [
        ("statement_post", page.pk)
    ]
    with schema_context(clinic_a.schema_name):
        delivery = WebhookDelivery.objects.get()
    assert delivery.event == "statement.published"
    assert delivery.payload["statement"]["url"].endswith("/statements/clinic-a/")

    # then the public page shows it to anyone, plainly
    public = client.get("/statements/clinic-a/")
    assert public.status_code == 200
    html = public.content.decode()
    assert "About today&#x27;s closure rumour" in html and "county inspection" in html
    assert "<script" not in html
    assert "script-src 'self'" in public["Content-Security-Policy"]
    assert client.get("/statements/no-such-clinic/").status_code == 404
    assert "closure rumour" not in client.get("/statements/clinic-b/").content.decode()

    # and the outbox posts it on the Facebook page and pins it
    assert _deliver_all(clinic_a) == ["sent"]
    posts = platforms.requests_for("facebook", method="POST")
    assert [p.path.rsplit("/", 1)[-1] for p in posts] == ["feed", posts[1].path.rsplit("/", 1)[-1]]
    assert posts[1].params["is_pinned"] == "true"
    assert len(platforms.fb_pinned) == 1
    assert platforms.writes("google") == []

    # when it is unpinned
    unpinned = writer.post(f"statements/{sid}/unpin/").json()
    assert (unpinned["status"], unpinned["is_pinned"]) == ("unpinned", False)
    assert _deliver_all(clinic_a) == ["sent"]

    # then it is gone from the page and from the top of the Facebook page, its history kept
    assert "closure rumour" not in client.get("/statements/clinic-a/").content.decode()
    assert platforms.fb_pinned == set()
    detail = writer.get(f"statements/{sid}/").json()
    assert [v["number"] for v in detail["versions"]] == [1]
    assert [e["action"] for e in detail["audit"]] == [
        "created",
        "submitted",
        "approved",
        "approved",
        "published",
        "pinned_on_platform",
        "unpinned",
        "unpinned_on_platform",
    ]
    assert writer.post(f"statements/{sid}/unpin/").status_code == 409


def test_a_new_version_replaces_the_published_one_only_once_approved(clinic_a, as_user, client):
    writer = as_user("alpha_writer", clinic_a)
    sid = writer.post(
        "statements/", {"title": "Opening hours", "body": "Walk-ins welcome."}
    ).json()["id"]
    writer.post(f"statements/{sid}/submit/")
    as_user("alpha_manager", clinic_a).post(f"statements/{sid}/approve/")
    as_user("a_approver", clinic_a).post(f"statements/{sid}/approve/")
    writer.post(f"statements/{sid}/publish/")

    # a new version is a draft again; the page still shows version 1
    edited = writer.patch(
        f"statements/{sid}/", {"title": "Opening hours", "body": "Walk-ins welcome until 6 pm."}
    ).json()
    assert (edited["status"], edited["version"], edited["published"]["number"]) == ("draft", 2, 1)
    page = client.get("/statements/clinic-a/").content.decode()
    assert "Walk-ins welcome." in page and "until 6 pm" not in page
    writer.post(f"statements/{sid}/submit/")
    as_user("alpha_manager", clinic_a).post(f"statements/{sid}/approve/")
    as_user("a_approver", clinic_a).post(f"statements/{sid}/approve/")
    writer.post(f"statements/{sid}/publish/")
    page = client.get("/statements/clinic-a/").content.decode()
    assert "until 6 pm" in page and "version 2" in page


def test_statement_pages_render_for_their_roles(clinic_a, as_user):
    writer = as_user("alpha_writer", clinic_a)
    sid = writer.post("statements/", {"title": "Hours", "body": "Open 8 to 6."}).json()["id"]
    writer.post(f"statements/{sid}/submit/")
    listing = writer.client.get(f"/clinics/{clinic_a.slug}/statements/")
    assert listing.status_code == 200
    assert '<th scope="col">Statement</th>' in listing.content.decode()
    manager = as_user("alpha_manager", clinic_a).client
    editor = manager.get(f"/clinics/{clinic_a.slug}/statements/{sid}/").content.decode()
    assert "Approve version 1" in editor and 'for="st-body"' in editor
    # approving from the page
    done = manager.post(
        f"/clinics/{clinic_a.slug}/replies/act/",
        {
            "kind": "statement",
            "id": sid,
            "action": "approve",
            "expected_status": "pending_agency",
            "expected_version": 1,
        },
    )
    assert done.status_code == 302
    assert writer.get(f"statements/{sid}/").json()["status"] == "pending_client"


def test_statement_editor_page_saves_and_checks(clinic_a, as_user):
    writer = as_user("alpha_writer", clinic_a)
    sid = writer.post("statements/", {"title": "Hours", "body": "Open 8 to 6."}).json()["id"]
    url = f"/clinics/{clinic_a.slug}/statements/{sid}/"
    checked = writer.client.post(
        url, {"action": "check", "title": "Hours", "body": "We reviewed your chart."}
    )
    assert checked.status_code == 200
    assert "Blocks" in checked.content.decode()
    saved = writer.client.post(
        url, {"action": "save", "title": "Hours", "body": "Open 8 to 7.", "expected_version": 1}
    )
    assert saved.status_code == 302
    assert writer.get(f"statements/{sid}/").json()["current"]["body"] == "Open 8 to 7."
    # an analyst may look but not change it
    analyst = as_user("alpha_analyst", clinic_a).client
    assert analyst.get(url).status_code == 200
    analyst.post(url, {"action": "save", "title": "X", "body": "Y"})
    assert writer.get(f"statements/{sid}/").json()["version"] == 2


def test_unpinning_from_the_editor_keeps_the_text_typed_beside_it(clinic_a, as_user, client):
    writer = as_user("alpha_writer", clinic_a)
    sid = writer.post("statements/", {"title": "Hours", "body": "Open 8 to 6."}).json()["id"]
    writer.post(f"statements/{sid}/submit/")
    as_user("alpha_manager", clinic_a).post(f"statements/{sid}/approve/")
    as_user("a_approver", clinic_a).post(f"statements/{sid}/approve/")
    url = f"/clinics/{clinic_a.slug}/statements/{sid}/"
    published = writer.client.post(
        url, {"action": "publish", "title": "Hours", "body": "Open 8 to 6.", "expected_version": 1}
    )
    assert published.status_code == 302  # nothing typed: straight back to the editor

    # when the writer has started a new version and presses Unpin before saving it
    typed = "Open 8 to 8 from Monday."
    page = writer.client.post(
        url, {"action": "unpin", "title": "Hours", "body": typed, "expected_version": 1}
    )

    # then it is unpinned, and the editor comes back holding the unsaved text, marked unsaved
    assert writer.get(f"statements/{sid}/").json()["is_pinned"] is False
    assert page.status_code == 200
    html = page.content.decode()
    assert f">{typed}</textarea>" in html and 'data-unsaved="1"' in html
    assert "Your edits are not saved yet" in html
    assert writer.get(f"statements/{sid}/").json()["version"] == 1  # and nothing was saved


def test_who_wrote_the_current_version_is_not_offered_its_approval(clinic_a, as_user):
    # given a statement the writer created and the manager rewrote (version 2), submitted
    writer, manager = as_user("alpha_writer", clinic_a), as_user("alpha_manager", clinic_a)
    sid = writer.post("statements/", {"title": "Hours", "body": "Open 8 to 6."}).json()["id"]
    manager.patch(f"statements/{sid}/", {"title": "Hours", "body": "Open 8 to 7."})
    assert manager.post(f"statements/{sid}/submit/").json()["version"] == 2

    # the manager's page offers no approval of the version they wrote, and says why
    editor = manager.client.get(f"/clinics/{clinic_a.slug}/statements/{sid}/").content.decode()
    assert "Approve version 2" not in editor
    # the service refuses it, in the same words (the one rule)
    refused = manager.post(f"statements/{sid}/approve/")
    assert refused.status_code == 403
    # another agency approver is offered it
    owner = as_user("alpha_owner", clinic_a).client
    assert (
        "Approve version 2"
        in owner.get(f"/clinics/{clinic_a.slug}/statements/{sid}/").content.decode()
    )


def _published_statement(clinic, as_user) -> tuple[object, int, str]:
    writer = as_user("alpha_writer", clinic)
    sid = writer.post("statements/", {"title": "Hours", "body": "Open 8 to 6."}).json()["id"]
    writer.post(f"statements/{sid}/submit/")
    as_user("alpha_manager", clinic).post(f"statements/{sid}/approve/")
    as_user("a_approver", clinic).post(f"statements/{sid}/approve/")
    assert writer.post(f"statements/{sid}/publish/").json()["status"] == "published"
    return writer, sid, f"/clinics/{clinic.slug}/statements/{sid}/"


def test_a_statement_no_channel_pinned_is_offered_off_the_public_page_not_unpin(clinic_a, as_user):
    # given a published statement on a clinic with no channel that can pin
    writer, sid, url = _published_statement(clinic_a, as_user)

    # then the editor's button says what it does: only the public page holds it
    html = writer.client.get(url).content.decode()
    assert (
        '<button type="submit" name="action" value="unpin" data-confirm="Take it off the '
        'clinic&#x27;s public page? No channel has pinned it." '
        'data-testid="unpin">Take it off the public page</button>'
    ) in html
    assert "Unpin everywhere" not in html

    # when it is pressed, the message says what happened
    page = writer.client.post(url, {"action": "unpin"}, follow=True)
    assert writer.get(f"statements/{sid}/").json()["is_pinned"] is False
    assert [str(m) for m in page.context["messages"]] == [
        "Taken off the public page. No channel had pinned it."
    ]


def test_a_statement_a_channel_pinned_is_offered_unpin_everywhere_naming_it(
    platforms, clinic_a, as_user
):
    # given a published statement that the clinic's Facebook page pinned
    with schema_context(clinic_a.schema_name):
        source_of("facebook", platforms)
    writer, sid, url = _published_statement(clinic_a, as_user)
    assert _deliver_all(clinic_a) == ["sent"]

    # then the button unpins everywhere and its confirmation names the channel
    html = writer.client.get(url).content.decode()
    assert (
        'data-confirm="Take it off the public page and unpin it on facebook source?" '
        'data-testid="unpin">Unpin everywhere</button>'
    ) in html

    # when it is pressed, the message says the same
    page = writer.client.post(url, {"action": "unpin"}, follow=True)
    assert [str(m) for m in page.context["messages"]] == [
        "Taken off the public page; unpinning it on facebook source."
    ]


def test_a_statement_whose_post_is_still_queued_says_the_post_is_cancelled(
    platforms, clinic_a, as_user
):
    # given a published statement whose Facebook post is not sent yet
    with schema_context(clinic_a.schema_name):
        source_of("facebook", platforms)
    writer, sid, url = _published_statement(clinic_a, as_user)

    # then nothing claims it is pinned on Facebook: the post waiting is cancelled
    html = writer.client.get(url).content.decode()
    assert (
        'data-confirm="Take it off the clinic&#x27;s public page? No channel has pinned it. '
        'Its post for facebook source, not sent yet, is cancelled." '
        'data-testid="unpin">Take it off the public page</button>'
    ) in html
    page = writer.client.post(url, {"action": "unpin"}, follow=True)
    assert [str(m) for m in page.context["messages"]] == [
        "Taken off the public page. No channel had pinned it. Its post for facebook source was "
        "cancelled before it was sent."
    ]
    with schema_context(clinic_a.schema_name):
        assert list(OutboxItem.objects.values_list("status", flat=True)) == ["cancelled"]
