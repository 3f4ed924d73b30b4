"""Whose reply it is (walk 13 A #6): the Approvals tab's "Sent back to the writer" list names
the writer of each reply, and the editor says "Alpha Writer’s draft" to a colleague opening it
("your draft" only to its writer)."""

from __future__ import annotations

from django_tenants.utils import schema_context

from responses.models import ReplyDraft, ReplyVersion

QUEUE = "/clinics/clinic-a/replies/"


def _sent_back(clinic, review, writer, *, version_by=None):
    """A reply `writer` drafted, sent back at the agency approval; its version 1 written by
    `version_by` (a colleague who took it over), by default the writer."""
    by = version_by or writer
    with schema_context(clinic.schema_name):
        draft = ReplyDraft.objects.create(
            review=review,
            status="changes_requested",
            version=1,
            author_label=f"user:{writer.pk}",
            author_name=writer.full_name,
            last_comment="Too generic.",
        )
        ReplyVersion.objects.create(
            draft=draft,
            number=1,
            guard_verdict="ok",
            author_label=f"user:{by.pk}",
            author_name=by.full_name,
            text="Thank you for telling us.",
        )
    return draft


def test_the_sent_back_list_names_each_replys_writer(login, world, rows):
    a = world.clinics["a"]
    r = rows(a)
    writer, manager = world.users["alpha_writer"], world.users["alpha_manager"]
    first = _sent_back(a, r.review(text="Rude receptionist"), writer)
    second = _sent_back(a, r.review(text="Long wait"), writer, version_by=manager)
    # when the manager reads the list
    html = login("alpha_manager").get(QUEUE).content.decode()
    # then
    assert (
        f'<li data-writer="Alpha Writer"><a href="/clinics/clinic-a/replies/review/'
        f'{first.review_id}/">Reply to “Rude receptionist”</a> · written by Alpha Writer — '
        "“Too generic.”</li>" in html
    )
    assert (
        f'<a href="/clinics/clinic-a/replies/review/{second.review_id}/">Reply to “Long wait”'
        "</a> · written by you — “Too generic.”" in html
    )
    owners = login("alpha_owner").get(QUEUE).content.decode()
    assert "· written by Alpha Manager — “Too generic.”" in owners
    assert "written by you" not in owners


def test_the_editor_says_whose_draft_it_is(login, world, rows):
    a = world.clinics["a"]
    draft = _sent_back(a, rows(a).review(text="Rude receptionist"), world.users["alpha_writer"])
    page = f"/clinics/clinic-a/replies/review/{draft.review_id}/"
    colleague = login("alpha_manager").get(page).content.decode()
    assert "In the editor: Alpha Writer’s draft, version 1" in colleague
    assert "your draft" not in colleague
    own = login("alpha_writer").get(page).content.decode()
    assert "In the editor: your draft, version 1" in own
