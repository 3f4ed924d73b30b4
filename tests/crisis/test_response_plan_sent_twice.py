"""The response plan sent twice with the same text and note (a double submit, a retried PUT)
stores one version: the second answer is the current version (200), not a copy of it."""

from __future__ import annotations

from django_tenants.utils import schema_context

from crisis.models import ResponsePlanVersion

API = "/clinics/clinic-a/api/v1/crisis/response-plan/"
PAGE = "/clinics/clinic-a/response-plan/"


def test_the_same_plan_put_twice_is_one_version(login, clinic_a):
    client = login("alpha_writer")
    body = {"text": "Call comms first.", "note": "v1"}

    first = client.put(API, body, content_type="application/json")
    again = client.put(API, body, content_type="application/json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    with schema_context(clinic_a.schema_name):
        assert list(ResponsePlanVersion.objects.values_list("version", flat=True)) == [1]
    # another note is another version
    other = client.put(API, {**body, "note": "v2"}, content_type="application/json")
    assert (other.status_code, other.json()["version"]) == (201, 2)


def test_the_same_plan_saved_twice_on_the_page_is_one_version(login, clinic_a):
    client = login("alpha_writer")
    client.post(PAGE, {"text": "Call comms first.", "note": "v1"})

    again = client.post(PAGE, {"text": "Call comms first.", "note": "v1"}, follow=True)

    assert "Nothing changed: the plan is the same as version 1." in again.content.decode()
    with schema_context(clinic_a.schema_name):
        assert ResponsePlanVersion.objects.count() == 1
