"""The public statement page: branded, in the clinic's local time, the current statement first
with its earlier versions folded, older ones marked superseded, a stable address per statement
(also for one taken down), and the `{statement_url}` reply variable that links to it."""

from __future__ import annotations

import re

from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from agency.branding import brand_palette
from clinics.access import clinic_access
from clinics.models import Clinic
from responses.models import Statement
from responses.services import statements as svc
from responses.services.templating import text_render


def publish_statement(clinic, writer, manager, approver, *, title: str, body: str, sid=None):
    """Write (or, with `sid`, edit) a statement and take it through agency and clinic approval
    to published, with the real services, in the clinic's schema. Returns its id."""

    def access(user):
        return clinic_access(Actor(user=user), clinic)

    with schema_context(clinic.schema_name):
        if sid is None:
            sid = svc.statement_create(access=access(writer), title=title, body=body).pk
        else:
            svc.statement_update(statement_id=sid, access=access(writer), title=title, body=body)
        svc.statement_submit(statement_id=sid, access=access(writer))
        svc.statement_approve(statement_id=sid, access=access(manager))
        svc.statement_approve(statement_id=sid, access=access(approver))
        svc.statement_publish(statement_id=sid, access=access(writer))
    return sid


def statements_story(clinic, writer, manager, approver) -> dict[str, int]:
    """Opening hours (published, then a second version), a withdrawn one, then the current
    statement about the rumour (published last)."""
    hours = publish_statement(
        clinic, writer, manager, approver, title="Opening hours", body="Walk-ins welcome."
    )
    publish_statement(
        clinic,
        writer,
        manager,
        approver,
        title="Opening hours",
        body="Walk-ins welcome until 6 pm.",
        sid=hours,
    )
    closed = publish_statement(
        clinic, writer, manager, approver, title="Closed for the storm", body="Closed today."
    )
    with schema_context(clinic.schema_name):
        svc.statement_unpin(statement_id=closed, access=clinic_access(Actor(user=writer), clinic))
    rumour = publish_statement(
        clinic,
        writer,
        manager,
        approver,
        title="About the rumour",
        body="There is no outbreak at the clinic.",
    )
    return {"hours": hours, "closed": closed, "rumour": rumour}


def _story(world, clinic_a):
    Clinic.objects.filter(pk=clinic_a.pk).update(timezone="America/New_York")
    agency = Clinic.objects.get(pk=clinic_a.pk).agency  # not the session object's
    agency.display_name, agency.primary_colour = "Harbour Health Marketing", "#0B6E4F"
    agency.save()
    users = world.users
    return statements_story(
        clinic_a, users["alpha_writer"], users["alpha_manager"], users["a_approver"]
    )


def test_the_page_shows_the_current_statement_first_with_its_history_folded(
    world, clinic_a, client
):
    ids = _story(world, clinic_a)
    page = client.get("/statements/clinic-a/")
    assert page.status_code == 200
    html = page.content.decode()
    # the agency's brand, by stylesheet (the CSP allows nothing inline)
    assert "Harbour Health Marketing" in html
    assert '<link rel="stylesheet" href="/statements/clinic-a/brand.css">' in html
    assert "style=" not in html and "<script" not in html
    css = client.get("/statements/clinic-a/brand.css")
    assert css["Content-Type"] == "text/css"
    assert f"--brand:{brand_palette('#0B6E4F')['brand']}" in css.content.decode()
    # the current statement first, then the superseded one; the withdrawn one is off the page
    current, superseded = html.index("About the rumour"), html.index("Opening hours")
    assert current < superseded
    assert html.count("Current statement") == 1
    assert f'id="statement-{ids["rumour"]}"' in html and "statement-current" in html
    assert "Superseded</span> by the newer statement “About the rumour”" in html
    assert "Closed for the storm" not in html and "Closed today." not in html
    # the hours statement shows version 2, version 1 folded in its history
    article = html[html.index(f'id="statement-{ids["hours"]}"') :]
    assert "Walk-ins welcome until 6 pm." in article
    assert "<details" in article and "Version history (1 earlier version)" in article
    assert "Version 1: Opening hours" in article and "<p>Walk-ins welcome.</p>" in article
    # times in the clinic's zone, with its abbreviation
    local = timezone.localtime(timezone.now(), timezone.get_fixed_timezone(0))
    # (walk 14: said as people say it, not "America/New_York")
    assert re.search(r"Times are Clinic A’s local time \(New York time \(E[SD]T\)\)\.", html)
    assert (" EST</time>" in html) or (" EDT</time>" in html)
    assert local.strftime(" %H:%M UTC") not in html
    # each statement links to its own address
    assert f'href="/statements/clinic-a/{ids["rumour"]}/"' in html


def test_each_statement_has_a_stable_address_that_says_when_it_is_superseded(
    world, clinic_a, client
):
    ids = _story(world, clinic_a)
    own = client.get(f"/statements/clinic-a/{ids['rumour']}/").content.decode()
    assert "About the rumour" in own and "Current statement" in own
    assert "Opening hours" not in own
    older = client.get(f"/statements/clinic-a/{ids['hours']}/").content.decode()
    assert "This statement is superseded." in older
    assert f'The current statement is <a href="/statements/clinic-a/{ids["rumour"]}/">' in older
    # taken down: the address still answers, saying so, without the text
    withdrawn = client.get(f"/statements/clinic-a/{ids['closed']}/")
    assert withdrawn.status_code == 200
    text = withdrawn.content.decode()
    assert "This statement was withdrawn by Clinic A on" in text
    assert "Closed today." not in text
    assert 'href="/statements/clinic-a/"' in text  # the list still has statements


def test_a_withdrawn_statement_links_to_no_list_that_would_answer_404(world, clinic_a, client):
    """With every statement withdrawn, the list page answers 404 (it tells nobody the clinic
    exists), so a withdrawn statement's own page does not link to it."""
    users = world.users
    only = publish_statement(clinic_a, users["alpha_writer"], users["alpha_manager"],
                             users["a_approver"], title="Closed", body="Closed today.")  # fmt: skip
    with schema_context(clinic_a.schema_name):
        svc.statement_unpin(
            statement_id=only, access=clinic_access(Actor(user=users["alpha_writer"]), clinic_a)
        )
    page = client.get(f"/statements/clinic-a/{only}/").content.decode()
    assert "has no current statement" in page and 'href="/statements/clinic-a/"' not in page
    assert client.get("/statements/clinic-a/").status_code == 404


def test_the_staff_and_portal_pages_link_to_the_public_page_only_once_it_answers(
    world, clinic_a, client, login
):
    users = world.users
    link = 'href="/statements/clinic-a/"'
    staff, portal = login("alpha_writer"), login("a_approver")
    # given no statement published yet: the public page answers 404, so no page links to it
    assert client.get("/statements/clinic-a/").status_code == 404
    page = staff.get("/clinics/clinic-a/statements/").content.decode()
    assert link not in page
    assert "The public page appears once a statement is published." in page
    page = portal.get("/clinics/clinic-a/portal/statements/").content.decode()
    assert link not in page
    assert "The public statement page appears once one is." in page
    # when one is published
    only = publish_statement(clinic_a, users["alpha_writer"], users["alpha_manager"],
                             users["a_approver"], title="Open", body="Open as usual.")  # fmt: skip
    # then the page answers and both pages link to it
    assert client.get("/statements/clinic-a/").status_code == 200
    page = staff.get("/clinics/clinic-a/statements/").content.decode()
    assert f"{link}>/statements/clinic-a/</a>" in page
    assert "appears once a statement is published" not in page
    page = portal.get("/clinics/clinic-a/portal/statements/").content.decode()
    assert f"{link}>The public statement page</a>" in page
    # and once it is taken down the page is a 404 again, and the links go
    with schema_context(clinic_a.schema_name):
        svc.statement_unpin(
            statement_id=only, access=clinic_access(Actor(user=users["alpha_writer"]), clinic_a)
        )
    assert client.get("/statements/clinic-a/").status_code == 404
    assert link not in staff.get("/clinics/clinic-a/statements/").content.decode()
    assert link not in portal.get("/clinics/clinic-a/portal/statements/").content.decode()


def test_the_page_writes_the_possessive_of_a_name_ending_in_s(world, clinic_a, client):
    users = world.users
    publish_statement(clinic_a, users["alpha_writer"], users["alpha_manager"],
                      users["a_approver"], title="Open", body="Open as usual.")  # fmt: skip
    Clinic.objects.filter(pk=clinic_a.pk).update(
        name="Lakeview Pediatrics", timezone="America/Chicago"
    )
    html = client.get("/statements/clinic-a/").content.decode()
    assert re.search(
        r"Times are Lakeview Pediatrics’ local time \(Chicago time \(C[SD]T\)\)\.", html
    )
    assert "Pediatrics’s" not in html and "Pediatrics's" not in html


def test_drafts_unknown_statements_and_clinics_answer_the_same_404(world, clinic_a, client):
    ids = _story(world, clinic_a)
    with schema_context(clinic_a.schema_name):
        draft = Statement.objects.create(title="Not yet", author_label="user:1", version=0)
    for path in (
        f"/statements/clinic-a/{draft.pk}/",
        "/statements/clinic-a/987654/",
        f"/statements/clinic-b/{ids['rumour']}/",
        "/statements/no-such-clinic/1/",
        "/statements/clinic-b/",
    ):
        answer = client.get(path)
        assert answer.status_code == 404, path
        # the product's page, naming no view, model or clinic (DEBUG is off, as in make run)
        html = answer.content.decode()
        assert "This page does not exist" in html and "Raised by" not in html
        assert "No such clinic" not in html and "clinic-b" not in html


def test_a_reply_links_to_the_current_statement_with_a_variable(world, clinic_a, settings):
    ids = _story(world, clinic_a)
    with schema_context(clinic_a.schema_name):
        rendered = text_render("Our statement: {statement_url}", clinic=clinic_a)
    assert rendered.text == (
        f"Our statement: {settings.PUBLIC_BASE_URL}/statements/clinic-a/{ids['rumour']}/"
    )
    assert rendered.unresolved == []
    # with nothing pinned the variable stays, so the reply cannot be submitted
    with schema_context(clinic_a.schema_name):
        Statement.objects.update(is_pinned=False)
        empty = text_render("See {statement_url}", clinic=clinic_a)
    assert empty.unresolved == ["{statement_url}"]
