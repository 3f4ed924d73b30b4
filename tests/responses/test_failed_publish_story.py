"""A publish that failed for want of its channel (not connected, its page id missing) tells one
story everywhere: why it did not post and what happens next, with who may connect the channel
named (a link only for those who may), no "Try again" where it cannot work, a "waiting for you"
line asking the writer to post the replies by hand, and a batch form that checks the links it
is given (the fake Facebook answers over real HTTP)."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from clinics.models import Notification
from feeds.models import Source
from feeds.services import source_create
from responses.models import OutboxItem, OutboxStatus
from responses.services.batches import mention_words
from responses.services.delivery import outbox_failure_notify
from tests.responses.conftest import deliver_in
from tests.responses.test_batches import _claim, approved_batch

LINK = "https://www.facebook.com/sunrise/posts/1"


def _failed_batch(clinic, as_user, platforms, capture) -> tuple[int, list[int]]:
    """Three replies of one batch on a Facebook page whose page id is missing (its token is
    there): delivered, failed, and their notices run."""
    with schema_context(clinic.schema_name):
        source_create(
            kind="facebook",
            name="Sunrise Facebook page",
            settings={**platforms.settings("facebook"), "page_id": ""},
            credentials=platforms.credentials("facebook"),
        )
    cluster_id, _ = _claim(clinic, 3, kind="facebook")
    bid, ids = approved_batch(clinic, as_user, cluster_id)
    assert [deliver_in(clinic, i) for i in ids] == ["failed"] * 3
    with capture(execute=True), schema_context(clinic.schema_name):
        for i in ids:
            outbox_failure_notify(item_id=i)
    return bid, ids


def _status(clinic, ids) -> list[str]:
    with schema_context(clinic.schema_name):
        return [OutboxItem.objects.get(pk=i).status for i in ids]


def test_the_batch_page_tells_a_writer_who_connects_it_and_offers_posting_by_hand(
    platforms, clinic_a, as_user, django_capture_on_commit_callbacks
):
    bid, ids = _failed_batch(clinic_a, as_user, platforms, django_capture_on_commit_callbacks)
    url = f"/clinics/{clinic_a.slug}/replies/batches/{bid}/"

    page = as_user("alpha_writer", clinic_a).client.get(url).content.decode()

    # one reason, in the staff's words; the connector's internals nowhere on the page
    assert page.count("Not sent — Sunrise Facebook page is not connected.") == 6
    assert "page id is missing" not in page
    # the writer cannot connect it: who can is named, and nothing links where she cannot act
    assert (
        "Only the agency&#x27;s owners and managers (Alpha Owner or Alpha Manager) can connect "
        "Sunrise Facebook page: ask one of them"
    ) in page
    assert f"/clinics/{clinic_a.slug}/sources/" not in page
    # no retry that cannot work; posting by hand instead, with the text and a copy button
    assert "retry in the outbox" not in page
    assert f'<a href="#posted-{ids[0]}">post it by hand</a>' in page
    assert page.count('data-testid="posted-text"') == 3
    assert f'data-copy="posted-text-{ids[0]}" hidden>Copy the text' in page
    assert '<script src="/static/js/copy_text.js" defer></script>' in page
    assert "<script>" not in page  # CSP: no inline script

    # a manager may connect it: the Sources page is linked for them
    managing = as_user("alpha_manager", clinic_a).client.get(url).content.decode()
    assert (
        "Connect Sunrise Facebook page on the Sources page; it is then sent by itself. "
        f'Or post it by hand and mark it posted.</span> <a href="/clinics/{clinic_a.slug}/'
        'sources/">Open the Sources page</a>'
    ) in managing


def test_try_again_is_refused_while_the_channel_is_still_not_connected(
    platforms, clinic_a, as_user, django_capture_on_commit_callbacks, queued
):
    _bid, ids = _failed_batch(clinic_a, as_user, platforms, django_capture_on_commit_callbacks)
    queued.clear()

    response = as_user("alpha_writer", clinic_a).post(f"outbox/{ids[0]}/retry/")

    assert response.status_code == 409
    assert response.json()["code"] == "retry_cannot_work"
    # why, then what to do and who can (the writer cannot connect it: they are named)
    assert response.json()["detail"] == (
        "Trying again cannot work: Sunrise Facebook page is still not connected. Only the "
        "agency's owners and managers (Alpha Owner or Alpha Manager) can connect Sunrise "
        "Facebook page: ask one of them; it is then sent by itself. Meanwhile, post it by hand "
        "and mark it posted."
    )
    assert _status(clinic_a, ids) == [OutboxStatus.FAILED] * 3
    assert queued == []


def test_the_writer_is_asked_to_post_them_by_hand_until_they_are_posted(
    platforms, clinic_a, as_user, world, django_capture_on_commit_callbacks
):
    bid, ids = _failed_batch(clinic_a, as_user, platforms, django_capture_on_commit_callbacks)
    writer = world.users["alpha_writer"]
    ask = Notification.objects.get(user=writer, clinic=clinic_a, kind="post_by_hand")
    assert (ask.open, ask.waits, ask.url) == (
        True,
        True,
        f"/clinics/{clinic_a.slug}/replies/batches/{bid}/#batch-posted",
    )
    assert ask.title == (
        "Post by hand: 3 replies not posted on Sunrise Facebook page (not connected) wait for you"
    )
    # only the writer: the product's hand-posters are the agency's writers, and she wrote them
    assert list(
        Notification.objects.filter(ref=ask.ref, open=True).values_list("user_id", flat=True)
    ) == [writer.pk]

    # when she posts them by hand from the batch page, each at its own link
    page = as_user("alpha_writer", clinic_a).client
    data = {"action": "mark_posted", "posted": ids}
    data |= {f"url-{pk}": f"{LINK}{n}" for n, pk in enumerate(ids)}
    response = page.post(f"/clinics/{clinic_a.slug}/replies/batches/{bid}/", data)

    # then they are posted and her line closes
    assert response.status_code == 302
    assert _status(clinic_a, ids) == [OutboxStatus.POSTED_BY_HAND] * 3
    ask.refresh_from_db()
    assert not ask.open


@pytest.mark.parametrize(
    ("links", "field_message"),
    [
        pytest.param(
            ["", ""],
            "Paste the link to its post, or the platform&#x27;s id of it.",
            id="no-link",
        ),
        pytest.param(
            [LINK, LINK],
            "This link is already recorded for the reply to",
            id="same-link-twice",
        ),
        pytest.param(
            ["https://www.facebook.com/" + "a" * 4996, LINK],
            "This link is 5021 characters long; a link to a post is at most 1000.",
            id="too-long",
        ),
    ],
)
def test_the_batch_form_refuses_links_it_cannot_keep_and_marks_nothing(
    platforms, clinic_a, as_user, django_capture_on_commit_callbacks, links, field_message
):
    bid, ids = _failed_batch(clinic_a, as_user, platforms, django_capture_on_commit_callbacks)
    page = as_user("alpha_writer", clinic_a).client
    data = {"action": "mark_posted", "posted": ids[:2]}
    data |= {f"url-{pk}": link for pk, link in zip(ids, links, strict=False)}

    response = page.post(f"/clinics/{clinic_a.slug}/replies/batches/{bid}/", data)

    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error" id="posted-error-' in html
    assert field_message in html
    assert _status(clinic_a, ids) == [OutboxStatus.FAILED] * 3


def _ids_of(clinic, ids) -> list[str]:
    with schema_context(clinic.schema_name):
        return [OutboxItem.objects.get(pk=i).external_id for i in ids]


def _mentions(clinic, ids) -> list[str]:
    with schema_context(clinic.schema_name):
        return [
            mention_words(OutboxItem.objects.select_related("review__source").get(pk=i).review)
            for i in ids
        ]


def test_the_batch_form_keeps_each_replys_platform_id(
    platforms, clinic_a, as_user, django_capture_on_commit_callbacks
):
    bid, ids = _failed_batch(clinic_a, as_user, platforms, django_capture_on_commit_callbacks)
    page = as_user("alpha_writer", clinic_a).client
    # the form has a platform id field per reply, beside its link
    form = page.get(f"/clinics/{clinic_a.slug}/replies/batches/{bid}/").content.decode()
    assert f'name="external_id-{ids[0]}" id="posted-extid-{ids[0]}"' in form

    # when two are given a link and an id, and the third its id alone
    data = {"action": "mark_posted", "posted": ids, f"url-{ids[0]}": f"{LINK}0"}
    data |= {f"url-{ids[1]}": f"{LINK}1", f"url-{ids[2]}": ""}
    data |= {f"external_id-{pk}": f" 111_{n} " for n, pk in enumerate(ids)}
    response = page.post(f"/clinics/{clinic_a.slug}/replies/batches/{bid}/", data)

    # then each is posted with its own id (stripped), and its link where it had one
    assert response.status_code == 302
    assert _status(clinic_a, ids) == [OutboxStatus.POSTED_BY_HAND] * 3
    assert _ids_of(clinic_a, ids) == ["111_0", "111_1", "111_2"]
    with schema_context(clinic_a.schema_name):
        assert OutboxItem.objects.get(pk=ids[2]).external_url == ""


@pytest.mark.parametrize(
    ("external_ids", "bad_row", "field_message"),
    [
        pytest.param(
            ["111_1", "111_1", "111_3"],
            1,
            "This id is already recorded for the reply to Sam R.",
            id="same-id-twice",
        ),
        pytest.param(
            ["111_1", "<b>111</b>", "111_3"],
            1,
            "A platform&#x27;s id has only letters, digits and _ - . : / = +, without spaces",
            id="markup",
        ),
        pytest.param(
            ["111 1", "111_2", "111_3"], 0, "A platform&#x27;s id has only letters", id="space"
        ),
        pytest.param(["1" * 256, "111_2", "111_3"], 0, "At most 255 characters.", id="too-long"),
    ],
)
def test_the_batch_form_refuses_an_id_it_cannot_keep_naming_the_row_and_marks_nothing(
    platforms,
    clinic_a,
    as_user,
    django_capture_on_commit_callbacks,
    external_ids,
    bad_row,
    field_message,
):
    bid, ids = _failed_batch(clinic_a, as_user, platforms, django_capture_on_commit_callbacks)
    page = as_user("alpha_writer", clinic_a).client
    data = {"action": "mark_posted", "posted": ids}
    data |= {f"url-{pk}": f"{LINK}{n}" for n, pk in enumerate(ids)}
    data |= {f"external_id-{pk}": value for pk, value in zip(ids, external_ids, strict=True)}

    response = page.post(f"/clinics/{clinic_a.slug}/replies/batches/{bid}/", data)

    # refused: the bad row's id field says why, naming its mention; what was typed stays
    assert response.status_code == 400
    html = response.content.decode()
    bad = ids[bad_row]
    error = html.split(f'<p class="error" id="posted-id-error-{bad}">', 1)[1].split("</p>", 1)[0]
    mention = _mentions(clinic_a, [bad])[0].replace("'", "&#x27;")
    assert error.startswith(f"{mention}: ")
    assert field_message in error
    assert f'id="posted-extid-{bad}" value="' in html and 'aria-invalid="true"' in html
    assert html.count('class="error" id="posted-id-error-') == 1
    assert 'class="error" id="posted-error-' not in html  # the links were fine
    assert "Nothing was marked posted: 1 of the 3 ticked needs a change." in html
    # nothing half-saved: no reply marked, no id kept
    assert _status(clinic_a, ids) == [OutboxStatus.FAILED] * 3
    assert _ids_of(clinic_a, ids) == ["", "", ""]


def test_a_link_already_recorded_for_another_mention_is_refused_by_the_api(
    platforms, clinic_a, as_user, django_capture_on_commit_callbacks
):
    _bid, ids = _failed_batch(clinic_a, as_user, platforms, django_capture_on_commit_callbacks)
    writer = as_user("alpha_writer", clinic_a)
    assert writer.post(f"outbox/{ids[0]}/mark-posted/", {"url": LINK}).status_code == 200

    response = writer.post(f"outbox/{ids[1]}/mark-posted/", {"url": LINK})

    assert response.status_code == 400
    [message] = response.json()["fields"]["url"]
    assert message.startswith("This link is already recorded for the reply to Sam R.")
    assert _status(clinic_a, ids[1:]) == [OutboxStatus.FAILED] * 2


@pytest.mark.parametrize(
    ("external_id", "status"),
    [
        pytest.param("<script>alert(1)</script>", 400, id="markup"),
        pytest.param("123 456", 400, id="space"),
        pytest.param("123456789_987654321", 200, id="facebook-id"),
        pytest.param("accounts/1/locations/2/reviews/AbC-9", 200, id="google-name"),
    ],
)
def test_the_platform_id_has_only_the_characters_platform_ids_have(
    platforms, clinic_a, as_user, django_capture_on_commit_callbacks, external_id, status
):
    _bid, ids = _failed_batch(clinic_a, as_user, platforms, django_capture_on_commit_callbacks)
    writer = as_user("alpha_writer", clinic_a)

    response = writer.post(f"outbox/{ids[0]}/mark-posted/", {"external_id": external_id})

    assert response.status_code == status
    if status == 400:
        assert response.json()["fields"]["external_id"] == [
            "A platform's id has only letters, digits and _ - . : / = +, without spaces (as "
            "123456_789012): copy it again from the platform."
        ]
        assert _status(clinic_a, ids[:1]) == [OutboxStatus.FAILED]
    else:
        with schema_context(clinic_a.schema_name):
            assert OutboxItem.objects.get(pk=ids[0]).external_id == external_id


def test_the_outbox_page_refuses_an_over_long_link_instead_of_cutting_it(
    platforms, clinic_a, as_user, django_capture_on_commit_callbacks
):
    _bid, ids = _failed_batch(clinic_a, as_user, platforms, django_capture_on_commit_callbacks)
    page = as_user("alpha_writer", clinic_a).client
    long_link = "https://www.facebook.com/" + "a" * 4996

    response = page.post(
        f"/clinics/{clinic_a.slug}/outbox/",
        {"item": ids[0], "action": "mark_posted", "url": long_link},
    )

    assert response.status_code == 400
    assert "This link is 5021 characters long" in response.content.decode()
    with schema_context(clinic_a.schema_name):
        item = OutboxItem.objects.get(pk=ids[0])
        assert (item.status, item.external_url) == (OutboxStatus.FAILED, "")


def test_the_portal_tells_the_same_story_in_the_clinics_words(
    platforms, clinic_a, as_user, login, django_capture_on_commit_callbacks
):
    _failed_batch(clinic_a, as_user, platforms, django_capture_on_commit_callbacks)

    page = login("a_approver").get(f"/clinics/{clinic_a.slug}/portal/approvals/").content.decode()
    # the same story as the staff's (not connected), in the clinic's words: the agency acts;
    # the batch is one line that tells it once for its 3 replies
    delivered = page.split('id="portal-delivered"', 1)[1]
    assert delivered.count('data-testid="delivered-batch"') == 1
    assert (
        "— 3 replies on Sunrise Facebook page wait for your agency to connect the channel (then "
        "they are posted by themselves) or to post them by hand. Nothing is needed from you.</p>"
        in delivered
    )
    # each of its 3 mentions, one tap away, says it waits for the agency
    assert delivered.count('<span class="pill neutral">Waiting for your agency</span>') == 3
    assert "could not be posted yet" not in page and "page id" not in page
    with schema_context(clinic_a.schema_name):
        assert Source.objects.filter(kind="facebook").count() == 1
