"""One answer for many: a reply batch from a claim or a selection becomes one draft per
mention (variables per platform, each checked by the guard), is approved once per step with
separation of duties, refuses a stale approval, and is published per mention with each one's
status. Bad input answers 400/409 with nothing created or approved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.models import Clinic
from clinics.services import clinic_update
from facts.models import Fact
from feeds.models import Review
from responses.models import (
    AuditEntry,
    OutboxItem,
    ReplyBatch,
    ReplyDraft,
    ResponseSettings,
)
from responses.services.outbox import outbox_deliver
from scoring.claims.services import claims_cluster
from scoring.models import ClaimMention, ReviewScore
from scoring.services import latest_scores_refresh
from tests.responses.conftest import review_in, source_of

SETUP = Actor.of_system("test", "Setup")  # who changes the settings a test sets up

CLAIM = "Riverside Family Dental reuses needles"
FACT_SENTENCE = "Every needle we use is single-use and sealed (source: Sterilisation log)."


def _flag():
    return {
        "name": "misinformation",
        "evidence": ["reuses needles"],
        "probability": 0.95,
        "contradicts": {"kind": "fact", "slug": "single-use-needles",
                        "statement": "Every needle we use is single-use and sealed.",
                        "similarity": 0.8},
    }  # fmt: skip


def _claim(
    clinic, n: int = 3, *, kind: str = "google", fake=None, text: str = CLAIM
) -> tuple[int, list[int]]:
    """n mentions of the false claim, scored and clustered: (cluster id, review ids)."""
    with schema_context(clinic.schema_name):
        Fact.objects.get_or_create(
            slug="single-use-needles",
            defaults={"title": "Needles", "statement": "Every needle we use is single-use and sealed.",
                      "source": "Sterilisation log", "verified_on": timezone.now().date()},
        )  # fmt: skip
    reviews = [review_in(clinic, kind, fake=fake, text=text) for _ in range(n)]
    with schema_context(clinic.schema_name):
        for review in reviews:
            ReviewScore.objects.create(
                review=review, model_version="t1", label="negative", score=-0.6, flags=[_flag()]
            )
        latest_scores_refresh(review_ids=[r.pk for r in reviews])  # as scores_write keeps it
        claims_cluster(review_ids=[r.pk for r in reviews], embed=None)
        cluster_id = ClaimMention.objects.get(review=reviews[0]).cluster_id
    return cluster_id, [r.pk for r in reviews]


def _counts(clinic) -> tuple[int, int, int]:
    with schema_context(clinic.schema_name):
        return (
            ReplyBatch.objects.count(),
            ReplyDraft.objects.count(),
            OutboxItem.objects.count(),
        )


def test_a_claim_gets_one_correction_drafted_per_mention(clinic_a, as_user):
    # given three mentions of one false claim
    cluster_id, review_ids = _claim(clinic_a)
    writer = as_user("alpha_writer", clinic_a)

    # when the writer drafts one correction for the claim
    response = writer.post("reply-batches/", {"cluster_id": cluster_id})

    # then one draft per mention, citing the fact it contradicts, each checked by the guard
    assert response.status_code == 201, response.json()
    batch = response.json()
    assert response["ETag"] == f'"batch-{batch["id"]}-v1"' == batch["etag"]
    assert (batch["kind"], batch["status"], batch["version"]) == ("correction", "draft", 1)
    assert batch["review_ids"] == review_ids
    assert "{fact:single-use-needles}" in batch["text"]
    assert [i["review_id"] for i in batch["items"]] == review_ids
    expected = (
        f"Hello, thank you for raising this. To set the record straight: {FACT_SENTENCE} If you "
        "have any questions, please contact us at +1 555 0100."
    )
    assert {i["text"] for i in batch["items"]} == {expected}
    assert {i["state"] for i in batch["items"]} == {"waiting"}
    assert batch["tally"]["waiting"] == 3
    assert {i["guard_verdict"] for i in batch["items"]} == {batch["guard"]["verdict"]}
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.filter(batch_id=batch["id"]).count() == 3


def test_the_reviewers_name_is_used_only_where_the_clinic_allows_it(clinic_a, as_user):
    _, review_ids = _claim(clinic_a, 2)
    with schema_context(clinic_a.schema_name):
        ResponseSettings.objects.update_or_create(pk=1, defaults={"allow_reviewer_name": True})
    try:
        batch = (
            as_user("alpha_writer", clinic_a)
            .post(
                "reply-batches/",
                {"review_ids": review_ids, "text": "{greeting} thanks. {fact:single-use-needles}"},
            )
            .json()
        )
    finally:
        with schema_context(clinic_a.schema_name):
            ResponseSettings.objects.filter(pk=1).update(allow_reviewer_name=False)
    assert batch["kind"] == "reply"
    assert {i["text"] for i in batch["items"]} == {f"Hi Sam, thanks. {FACT_SENTENCE}"}


@pytest.mark.parametrize(
    "body, field",
    [
        ({"review_ids": []}, "review_ids"),
        ({}, "review_ids"),
        ({"review_ids": [1], "text": "Thanks. {fact:no-such-fact}"}, "text"),
        ({"review_ids": [1], "fact_slug": "no-such-fact"}, "fact_slug"),
        ({"review_ids": [1], "kind": "statement"}, "statement_id"),
        ({"cluster_id": 999999}, "cluster_id"),
    ],
    ids=["empty", "nothing-chosen", "unfilled-variable", "unknown-fact", "no-statement",
         "unknown-claim"],
)  # fmt: skip
def test_bad_input_is_400_and_creates_nothing(clinic_a, as_user, body, field):
    _, review_ids = _claim(clinic_a, 1)
    if body.get("review_ids") == [1]:
        body = {**body, "review_ids": review_ids}
    before = _counts(clinic_a)
    response = as_user("alpha_writer", clinic_a).post("reply-batches/", body)
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    assert _counts(clinic_a) == before


def test_mentions_of_another_clinic_are_refused_and_nothing_is_created(clinic_a, clinic_b, as_user):
    cluster_id, review_ids = _claim(clinic_a, 2)
    with schema_context(clinic_a.schema_name):
        highest = Review.objects.order_by("-pk").values_list("pk", flat=True).first()
    other = review_in(clinic_b, text=CLAIM)
    while other.pk <= highest:  # an id that clinic A does not have
        other = review_in(clinic_b, text=CLAIM)
    writer = as_user("alpha_writer", clinic_a)
    before = _counts(clinic_a)

    # with the claim: a mention that is not the claim's
    response = writer.post("reply-batches/", {"cluster_id": cluster_id,
                                              "review_ids": [*review_ids, other.pk]})  # fmt: skip
    assert response.status_code == 400
    assert response.json()["fields"]["review_ids"] == [
        f"Not mentions of this claim in this clinic: {other.pk}"
    ]
    # as a selection: a mention this clinic does not have
    response = writer.post("reply-batches/", {"review_ids": [review_ids[0], other.pk],
                                              "fact_slug": "single-use-needles"})  # fmt: skip
    assert response.status_code == 400
    assert response.json()["fields"]["review_ids"] == [
        f"No such mention in this clinic: {other.pk}"
    ]
    assert _counts(clinic_a) == before
    with schema_context(clinic_b.schema_name):
        assert not ReplyDraft.objects.filter(review_id=other.pk).exists()


def test_a_mention_with_an_open_draft_is_409_and_nothing_is_created(clinic_a, as_user):
    _, review_ids = _claim(clinic_a, 2)
    writer = as_user("alpha_writer", clinic_a)
    single = writer.post("drafts/", {"review_id": review_ids[1], "text": "Thank you."}).json()
    before = _counts(clinic_a)
    response = writer.post("reply-batches/", {"review_ids": review_ids,
                                              "fact_slug": "single-use-needles"})  # fmt: skip
    assert response.status_code == 409
    # the mention is named as people know it, never by its database id
    assert response.json()["fields"]["review_ids"] == [
        "Sam R. on Google Business Profile (“Riverside Family Dental…”) has an open draft: "
        "finish or discard it."
    ]
    assert single["id"]
    assert _counts(clinic_a) == before


def test_a_mention_whose_approved_reply_failed_is_named_with_what_to_do(clinic_a, as_user):
    """An approved reply cannot be finished or discarded: the refusal says to retry it from the
    outbox or leave the mention out, not "finish or discard it"."""
    _, review_ids = _claim(clinic_a, 2)
    writer = as_user("alpha_writer", clinic_a)
    single = writer.post("drafts/", {"review_id": review_ids[0], "text": "Thank you."}).json()
    with schema_context(clinic_a.schema_name):
        ReplyDraft.objects.filter(pk=single["id"]).update(status="approved")
    response = writer.post("reply-batches/", {"review_ids": review_ids,
                                              "fact_slug": "single-use-needles"})  # fmt: skip
    assert response.status_code == 409
    (why,) = response.json()["fields"]["review_ids"]
    assert why.startswith(
        "Sam R. on Google Business Profile (“Riverside Family Dental…”) has an approved reply, "
        "on its way to its channel"
    )
    assert "retry it from the outbox" in why and "discard" not in why


def _x_mention(clinic, author: str = "Emerson C.") -> Review:
    with schema_context(clinic.schema_name):
        return Review.objects.create(
            source=source_of("x"), external_id=f"x-{author}-{Review.objects.count()}",
            author_name=author, text="Reused needles at Riverside Family Dental. Unbelievable.",
            published_at=timezone.now() - timedelta(hours=1),
        )  # fmt: skip


def test_a_reply_too_long_for_its_platform_is_created_marked_and_not_submitted(clinic_a, as_user):
    # given an X mention and a text that renders to 335 characters (X allows 280)
    x = _x_mention(clinic_a)
    writer = as_user("alpha_writer", clinic_a)

    # when the writer drafts it: the batch is created, the mention marked
    response = writer.post(
        "reply-batches/", {"review_ids": [x.pk], "text": "Thank you for raising this. " * 12}
    )
    assert response.status_code == 201, response.json()
    batch = response.json()
    (item,) = batch["items"]
    assert (item["limit"], item["too_long_by"], len(item["text"])) == (280, 55, 335)
    assert batch["left_out"] == []

    # then submitting is refused, naming the mention by its author and text; nothing changes
    refused = writer.post(f"reply-batches/{batch['id']}/submit/", {"expected_version": 1})
    assert (refused.status_code, refused.json()["code"]) == (400, "too_long")
    assert refused.json()["fields"]["text"] == [
        "Emerson C. on X (“Reused needles at Riverside…”): 335 characters, 55 over the 280 X "
        "allows."
    ]
    with schema_context(clinic_a.schema_name):
        assert ReplyBatch.objects.get(pk=batch["id"]).status == "draft"
        assert not AuditEntry.objects.filter(object_id=batch["id"], action="submitted").exists()

    # a shorter text clears it, and it goes
    shorter = writer.patch(
        f"reply-batches/{batch['id']}/",
        {"text": "Thank you for raising this.", "expected_version": 1},
    ).json()
    assert shorter["items"][0]["too_long_by"] == 0
    done = writer.post(f"reply-batches/{batch['id']}/submit/", {"expected_version": 2})
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "pending_agency"


def test_the_suggested_correction_fits_x(clinic_a, as_user):
    """The default correction with the clinic's whole contact line runs past 280 characters
    for a long fact: a batch with an X mention gets the shorter suggestion, which fits."""
    _claim(clinic_a, 1)
    with schema_context(clinic_a.schema_name):
        Fact.objects.filter(slug="single-use-needles").update(
            statement="Every needle and syringe we use is single-use, sealed until use and "
            "discarded in a sharps container straight after."
        )
    x = _x_mention(clinic_a)
    google = review_in(clinic_a, "google", text=CLAIM)
    writer = as_user("alpha_writer", clinic_a)
    row = Clinic.objects.get(pk=clinic_a.pk)
    before = {"email": row.email, "contact_url": row.contact_url}
    # (through the service: its save clears the web process's cached copy of the clinic)
    clinic_update(
        clinic=row,
        actor=SETUP,
        email="hello@clinic-a.example",
        contact_url="https://clinic-a.example/contact",
    )
    try:
        response = writer.post(
            "reply-batches/", {"review_ids": [x.pk, google.pk], "fact_slug": "single-use-needles"}
        )
    finally:
        clinic_update(clinic=row, actor=SETUP, **before)

    assert response.status_code == 201, response.json()
    batch = response.json()
    assert {i["too_long_by"] for i in batch["items"]} == {0}
    assert max(len(i["text"]) for i in batch["items"]) <= 280
    assert batch["guard"]["verdict"] == "ok", batch["guard"]
    assert batch["text"] == (
        "{greeting} to set the record straight: {fact:single-use-needles} Questions? Contact us "
        "at {contact_line}."
    )
    # without an X mention, the full suggestion (it fits Google's 4096)
    alone = writer.post(
        "reply-batches/",
        {"review_ids": [review_in(clinic_a, "google", text=CLAIM).pk],
         "fact_slug": "single-use-needles"},
    ).json()  # fmt: skip
    assert alone["text"].startswith("{greeting} thank you for raising this.")


def test_the_batch_is_approved_once_per_step_and_each_mention_is_queued(clinic_a, as_user):
    cluster_id, review_ids = _claim(clinic_a, 3)
    writer = as_user("alpha_writer", clinic_a)
    manager = as_user("alpha_manager", clinic_a)
    approver = as_user("a_approver", clinic_a)
    batch = writer.post("reply-batches/", {"cluster_id": cluster_id}).json()
    bid = batch["id"]

    submitted = writer.post(f"reply-batches/{bid}/submit/", {"expected_version": 1}).json()
    assert submitted["status"] == "pending_agency"
    assert submitted["route"] == ["agency", "client"]
    assert {i["draft_status"] for i in submitted["items"]} == {"pending_agency"}

    # a draft of the batch is not approved on its own
    draft_id = submitted["items"][0]["draft_id"]
    single = manager.post(f"drafts/{draft_id}/approve/")
    assert (single.status_code, single.json()["code"]) == (409, "in_batch")

    # the approval names the version the approver saw
    missing = manager.post(f"reply-batches/{bid}/approve/", {})
    assert missing.status_code == 400 and "expected_version" in missing.json()["fields"]
    agency = manager.post(f"reply-batches/{bid}/approve/", {"expected_version": 1}).json()
    assert agency["status"] == "pending_client"
    assert {i["draft_status"] for i in agency["items"]} == {"pending_client"}

    # the agency cannot give the clinic's step, nor the writer
    refused = manager.post(f"reply-batches/{bid}/approve/", {"expected_version": 1})
    assert refused.status_code == 403
    assert _counts(clinic_a)[2] == 0

    # when the clinic approves the version it saw (If-Match works as well)
    done = approver.client.post(
        approver.url(f"reply-batches/{bid}/approve/"), {}, content_type="application/json",
        HTTP_IF_MATCH=f'"batch-{bid}-v1"',
    )  # fmt: skip
    assert done.status_code == 200, done.json()
    done = done.json()
    assert done["status"] == "approved"
    assert {i["draft_status"] for i in done["items"]} == {"approved"}
    assert {i["state"] for i in done["items"]} == {"sending"}
    with schema_context(clinic_a.schema_name):
        items = OutboxItem.objects.filter(draft__batch_id=bid)
        assert sorted(items.values_list("review_id", flat=True)) == review_ids
        steps = list(
            AuditEntry.objects.filter(
                object_type="reply_batch", object_id=bid, action="approved"
            ).values_list("detail__step", flat=True)
        )
        assert steps == ["agency", "client"]
        assert AuditEntry.objects.filter(
            object_type="reply", action="batch_approved", object_id=draft_id
        ).count() == 2  # one per step, both through the batch  # fmt: skip


def test_an_approval_of_a_batch_that_changed_since_is_409_and_approves_nothing(clinic_a, as_user):
    cluster_id, review_ids = _claim(clinic_a, 3)
    writer = as_user("alpha_writer", clinic_a)
    manager = as_user("alpha_manager", clinic_a)
    bid = writer.post("reply-batches/", {"cluster_id": cluster_id}).json()["id"]
    writer.post(f"reply-batches/{bid}/submit/")

    # the writer takes one mention out while the manager has version 1 open
    removed = writer.client.delete(
        writer.url(f"reply-batches/{bid}/mentions/{review_ids[2]}/?expected_version=1")
    )
    assert removed.status_code == 200, removed.json()
    assert (removed.json()["version"], removed.json()["status"]) == (2, "draft")
    assert removed.json()["review_ids"] == review_ids[:2]
    assert removed.json()["tally"]["removed"] == 1
    writer.post(f"reply-batches/{bid}/submit/", {"expected_version": 2})

    stale = manager.post(f"reply-batches/{bid}/approve/", {"expected_version": 1})
    assert (stale.status_code, stale.json()["code"]) == (409, "stale")
    with schema_context(clinic_a.schema_name):
        assert ReplyBatch.objects.get(pk=bid).status == "pending_agency"
        assert not AuditEntry.objects.filter(
            object_type="reply_batch", object_id=bid, action="approved"
        ).exists()
    # the mention taken out can be answered on its own
    own = writer.post("drafts/", {"review_id": review_ids[2], "text": "Thank you."})
    assert own.status_code == 201

    # a new text sends it back to draft: approvals were for the old text
    ok = manager.post(f"reply-batches/{bid}/approve/", {"expected_version": 2}).json()
    assert ok["status"] == "pending_client"
    edited = writer.patch(f"reply-batches/{bid}/", {"text": "Hello, thanks. {fact:single-use-needles}",
                                                    "expected_version": 2}).json()  # fmt: skip
    assert (edited["version"], edited["status"]) == (3, "draft")
    assert {i["text"] for i in edited["items"] if i["state"] != "removed"} == {
        f"Hello, thanks. {FACT_SENTENCE}"
    }


def approved_batch(clinic, as_user, cluster_id: int) -> tuple[int, list[int]]:
    """The writer's correction for the claim, submitted and approved at both steps: (batch
    id, its outbox items' ids in order)."""
    writer = as_user("alpha_writer", clinic)
    bid = writer.post("reply-batches/", {"cluster_id": cluster_id}).json()["id"]
    writer.post(f"reply-batches/{bid}/submit/")
    as_user("alpha_manager", clinic).post(f"reply-batches/{bid}/approve/", {"expected_version": 1})
    as_user("a_approver", clinic).post(f"reply-batches/{bid}/approve/", {"expected_version": 1})
    with schema_context(clinic.schema_name):
        ids = OutboxItem.objects.filter(draft__batch_id=bid).order_by("pk")
        return bid, list(ids.values_list("pk", flat=True))


def test_each_mention_is_published_on_its_own_with_its_status(platforms, clinic_a, as_user, login):
    cluster_id, review_ids = _claim(clinic_a, 3, fake=platforms)
    writer = as_user("alpha_writer", clinic_a)
    bid, ids = approved_batch(clinic_a, as_user, cluster_id)
    platforms.fail(1, status=400, platform="google", method="PUT", message="Reply too long")
    with schema_context(clinic_a.schema_name):
        outcomes = [outbox_deliver(item_id=i) for i in ids]
    assert sorted(outcomes) == ["failed", "sent", "sent"]

    detail = writer.get(f"reply-batches/{bid}/").json()
    assert detail["tally"]["published"] == 2 and detail["tally"]["failed"] == 1
    failed = [i for i in detail["items"] if i["state"] == "failed"]
    assert failed[0]["last_error"] == "Reply too long"
    # the batch page says it in plain words, with what to do, not the bare platform message
    page = login("alpha_writer").get(f"/clinics/clinic-a/replies/batches/{bid}/").content.decode()
    assert "Google Business Profile said: Reply too long" in page
    assert "then retry. Or post it by hand and mark it posted." in page
    assert {i["draft_status"] for i in detail["items"] if i["state"] == "published"} == {
        "published"
    }
    assert len(platforms.requests_for("google", method="PUT")) == 3


def test_the_statement_variable_links_the_statements_own_address(clinic_a, settings):
    from responses.models import Statement
    from responses.services.batches import render_for
    from responses.services.guarding import response_settings_get
    from scoring.selectors import latest_scores_prefetch

    cluster_id, review_ids = _claim(clinic_a, 1)
    with schema_context(clinic_a.schema_name):
        statement = Statement.objects.create(title="About needles", author_label="user:1")
        review = Review.objects.prefetch_related(latest_scores_prefetch()).get(pk=review_ids[0])
        text, left = render_for(
            "{greeting} our statement: {statement_url}", review, clinic=clinic_a,
            settings_row=response_settings_get(), statement=statement,
        )  # fmt: skip
    # the permalink, which still answers once a newer statement replaces it; not an anchor
    assert text.endswith(f"{settings.PUBLIC_BASE_URL}/statements/clinic-a/{statement.pk}/")
    assert left == []


def test_a_sentence_after_the_greeting_goes_on_in_lower_case(clinic_a):
    from responses.services.batches import render_for
    from responses.services.guarding import response_settings_get
    from scoring.selectors import latest_scores_prefetch

    _cluster_id, review_ids = _claim(clinic_a, 1)
    with schema_context(clinic_a.schema_name):
        review = Review.objects.prefetch_related(latest_scores_prefetch()).get(pk=review_ids[0])

        def rendered(text: str) -> str:
            return render_for(text, review, clinic=clinic_a,
                              settings_row=response_settings_get())[0]  # fmt: skip

        # "Hello, We" read as a typo in every reply of the batch
        assert rendered("{greeting} We use sealed needles.").startswith(
            "Hello, we use sealed needles."
        )
        assert rendered("{greeting} Thank you.") == "Hello, thank you."
        # a word that may be a name, and "I", keep their capital
        assert rendered("{greeting} Dr Ortiz here.") == "Hello, Dr Ortiz here."
        assert rendered("{greeting} I am sorry.") == "Hello, I am sorry."
        # only right after the greeting
        assert rendered("We care. {greeting}").startswith("We care.")


def test_a_pointer_to_the_statement_is_checked_as_a_correction(clinic_a, as_user):
    from responses.models import Statement, StatementVersion

    _, review_ids = _claim(clinic_a, 2)
    with schema_context(clinic_a.schema_name):
        statement = Statement.objects.create(title="About needles", author_label="user:1",
                                             status="published", is_pinned=True)  # fmt: skip
        version = StatementVersion.objects.create(
            statement=statement, number=1, title="About needles", body="Single-use, sealed.",
            guard_verdict="ok", author_label="user:1",
        )  # fmt: skip
        Statement.objects.filter(pk=statement.pk).update(published_version=version)
    writer = as_user("alpha_writer", clinic_a)
    # the batch's own text passes the guard on every mention
    batch = writer.post("reply-batches/", {"review_ids": review_ids, "kind": "statement"}).json()
    assert batch["kind"] == "statement"
    assert {i["guard_verdict"] for i in batch["items"]} == {"ok"}, batch["guard"]
    # a plain "this is false" in it is a correction, not a defensive reply
    text = "{greeting} this is false. Our official statement is here: {statement_url}"
    edited = writer.patch(f"reply-batches/{batch['id']}/", {"text": text, "expected_version": 1})
    assert edited.status_code == 200, edited.json()
    assert {i["guard_verdict"] for i in edited.json()["items"]} == {"ok"}
    # the same words in a plain reply batch read as disputing the reviewer
    plain = writer.post(
        "reply-batches/", {"review_ids": [review_in(clinic_a, "google").pk], "text": text}
    ).json()
    assert plain["kind"] == "reply"
    assert plain["guard"]["verdict"] == "needs_review"


def test_a_reply_batch_without_text_starts_from_a_plain_reply(clinic_a, as_user):
    _, review_ids = _claim(clinic_a, 2)
    writer = as_user("alpha_writer", clinic_a)
    response = writer.post("reply-batches/", {"review_ids": review_ids, "kind": "reply"})
    assert response.status_code == 201, response.json()
    batch = response.json()
    assert (batch["kind"], batch["guard"]["verdict"]) == ("reply", "ok")
    assert {i["text"] for i in batch["items"]} == {
        "Hello, thank you for raising this. We take it seriously and would like to hear more; "
        "please contact us at +1 555 0100."
    }
