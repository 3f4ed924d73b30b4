"""/agency/privacy/: owners and managers find a person's items across the agency's clinics,
redact or delete them after a confirmation, and read the log and each receipt; nobody else
reaches it, and bad input is a 400 that names the field and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django_tenants.utils import schema_context

from core.privacy import REDACTED_TEXT
from feeds.models import Review, Source
from tests.fixtures.rows import world_privacy_requests

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
REASON = "Erasure request REQ-114 received by e-mail"


def _review(clinic, external_id, author, text="Long wait, rude staff"):
    with schema_context(clinic.schema_name):
        source, _ = Source.objects.get_or_create(kind="google", defaults={"name": "Google"})
        return Review.objects.create(
            source=source, external_id=external_id, author_name=author, text=text,
            rating=2, published_at=T0,
        )  # fmt: skip


@pytest.fixture
def reese(clinic_a, clinic_b, clinic_c):
    return {
        "a": _review(clinic_a, "g-1", "Reese B."),
        "b": _review(clinic_b, "g-2", "reese b."),
        "a_other": _review(clinic_a, "g-3", "Pat", text="Reese B. sent me here"),
        "c": _review(clinic_c, "g-4", "Reese B."),  # another agency's clinic
    }


def test_find_across_the_agencys_clinics(reese, login):
    client = login("alpha_manager")
    response = client.get("/agency/privacy/?author=reese")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="privacy-found">2 items found in 2 clinics' in html
    assert f'value="clinic-a:{reese["a"].pk}"' in html
    assert f'value="clinic-b:{reese["b"].pk}"' in html
    assert f'value="clinic-a:{reese["a_other"].pk}"' not in html  # named in the text only
    assert "clinic-c:" not in html  # another agency's clinic is never read
    # with the text: the mention that names them too; one clinic only
    html = client.get("/agency/privacy/?author=reese&text=1&clinic=clinic-a").content.decode()
    assert f'value="clinic-a:{reese["a_other"].pk}"' in html
    assert "clinic-b:" not in html


def test_redact_after_a_confirmation_then_the_receipt_and_the_log(reese, login, clinic_a):
    client = login("alpha_owner")
    chosen = [f"clinic-a:{reese['a'].pk}", f"clinic-b:{reese['b'].pk}"]
    form = {"author": "Reese B.", "reason": REASON, "action": "redact", "item": chosen}
    # the first POST only asks
    asked = client.post("/agency/privacy/", form)
    assert asked.status_code == 200
    assert "Redact 2 items" in asked.content.decode()
    assert not world_privacy_requests().exists()
    with schema_context(clinic_a.schema_name):
        assert Review.objects.get(pk=reese["a"].pk).author_name == "Reese B."
    # its button does it
    done = client.post("/agency/privacy/", {**form, "confirm": "yes"})
    row = world_privacy_requests().get()
    assert done.status_code == 302
    assert done["Location"] == f"/agency/privacy/requests/{row.pk}/"
    with schema_context(clinic_a.schema_name):
        assert Review.objects.get(pk=reese["a"].pk).text == REDACTED_TEXT
    receipt = client.get(done["Location"]).content.decode()
    assert "we removed 2 items by “Reese B.” from Clinic A and Clinic B:" in receipt
    log = client.get("/agency/privacy/requests/").content.decode()
    assert f"/agency/privacy/requests/{row.pk}/" in log
    csv = b"".join(client.get("/agency/privacy/requests/?format=csv").streaming_content).decode()
    assert csv.splitlines()[0] == (
        "created_at,action,author,reason,actor_email,actor_name,items,to_check"
    )
    assert "owner@alpha.test" in csv and "REQ-114" in csv
    # the review page says so, and offers no reply
    page = client.get(f"/clinics/clinic-a/inbox/{reese['a'].pk}/").content.decode()
    assert 'data-testid="redacted"' in page and "/replies/review/" not in page


def test_the_review_page_leads_managers_to_the_request(reese, login):
    url = f"/clinics/clinic-a/inbox/{reese['a'].pk}/"
    assert 'data-testid="privacy-link"' in login("alpha_manager").get(url).content.decode()
    assert 'data-testid="privacy-link"' not in login("alpha_writer").get(url).content.decode()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("author=", "author"),
        ("author=%20r%20", "author"),
        ("author=reese&clinic=clinic-c", "clinic"),
    ],
)
def test_a_search_it_cannot_run_is_400(reese, login, query, field):
    response = login("alpha_owner").get(f"/agency/privacy/?{query}")
    assert response.status_code == 400
    assert f"<li>{field}: " in response.content.decode()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"item": []}, "items"),
        ({"item": ["clinic-c:1"]}, "items"),
        ({"item": ["clinic-x:1"]}, "items"),
    ],
)
@pytest.mark.parametrize("confirm", ["", "yes"])
def test_bad_input_is_400_and_changes_nothing(reese, login, clinic_a, change, field, confirm):
    form = {"author": "Reese B.", "reason": REASON, "action": "delete",
            "item": [f"clinic-a:{reese['a'].pk}"], "confirm": confirm, **change}  # fmt: skip
    response = login("alpha_owner").post("/agency/privacy/", form)
    assert response.status_code == 400
    assert f"<li>{field}: " in response.content.decode()
    assert not world_privacy_requests().exists()
    with schema_context(clinic_a.schema_name):
        assert Review.objects.get(pk=reese["a"].pk).redacted_at is None


# Who reaches the privacy pages: owners and managers of the agency; its other staff 403 (the
# staff pages' answer), people outside it 404 (clinic people), and another agency's owner
# never another agency's items or receipts.
PAGES = ["/agency/privacy/", "/agency/privacy/requests/"]


@pytest.mark.parametrize(
    ("person", "status"),
    [("alpha_writer", 403), ("alpha_analyst", 403), ("a_approver", 404), ("a_viewer", 404)],
)
def test_others_are_refused_and_change_nothing(reese, login, clinic_a, person, status):
    client = login(person)
    for page in PAGES:
        assert client.get(page).status_code == status, page
    form = {"author": "Reese B.", "reason": REASON, "action": "redact",
            "item": [f"clinic-a:{reese['a'].pk}"], "confirm": "yes"}  # fmt: skip
    assert client.post("/agency/privacy/", form).status_code == status
    assert not world_privacy_requests().exists()
    with schema_context(clinic_a.schema_name):
        assert Review.objects.get(pk=reese["a"].pk).redacted_at is None


def test_another_agencys_owner_cannot_reach_its_items_or_receipts(reese, login, clinic_a):
    alpha = login("alpha_owner")
    alpha.post("/agency/privacy/", {"author": "Reese B.", "reason": REASON, "action": "redact",
                                    "item": [f"clinic-b:{reese['b'].pk}"], "confirm": "yes"})  # fmt: skip
    row = world_privacy_requests().get()
    beta = login("beta_owner")
    assert beta.get(f"/agency/privacy/requests/{row.pk}/").status_code == 404
    assert (
        f"/agency/privacy/requests/{row.pk}/"
        not in beta.get("/agency/privacy/requests/").content.decode()
    )
    response = beta.post("/agency/privacy/", {"author": "Reese B.", "reason": REASON,
                         "action": "redact", "item": [f"clinic-a:{reese['a'].pk}"],
                         "confirm": "yes"})  # fmt: skip
    assert response.status_code == 400
    with schema_context(clinic_a.schema_name):
        assert Review.objects.get(pk=reese["a"].pk).redacted_at is None
