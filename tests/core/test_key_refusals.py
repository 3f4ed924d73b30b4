"""Walk 14 #17: a refused API key was told "Your role in this clinic does not allow you to …",
though a key has scopes, not a role: the refusal now names the key's scopes and the key that
would be allowed (or that no key is)."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from feeds.models import Review


@pytest.mark.parametrize(
    ("key", "method", "path", "body", "detail"),
    [
        pytest.param(
            "key_a_read", "post", "reviews/ingest/",
            {"items": [{"source": "csv", "external_id": "k-1", "published_at": "2026-01-01T00:00:00Z"}]},
            "This API key's scopes (read) do not allow it to triage, draft and run incidents: "
            "that needs a key with the write scope.",
            id="read-key-pushing",
        ),
        pytest.param(
            "key_a", "get", "approvals-log/", None,
            "This API key's scopes (read, write) do not allow it to read the approvals log: "
            "that needs an agency key with the approve scope.",
            id="clinic-key-approvals-log",
        ),
        pytest.param(
            "key_alpha", "get", "approvals-log/", None,
            "This API key's scopes (read, write) do not allow it to read the approvals log: "
            "that needs a key with the approve scope.",
            id="agency-key-approvals-log",
        ),
        pytest.param(
            "key_a", "post", "api-keys/", {"name": "x", "scopes": ["read"]},
            "This API key's scopes (read, write) do not allow it to manage settings and people: "
            "no API key may; a person whose role allows it does (signed in, or with their "
            "personal token).",
            id="no-key-manages",
        ),
    ],
)  # fmt: skip
def test_a_refused_key_is_told_about_its_scopes_not_a_role(
    api, clinic_a, key, method, path, body, detail
):
    with schema_context(clinic_a.schema_name):
        before = Review.objects.count()
    client = api(key)
    url = f"/clinics/{clinic_a.slug}/api/v1/{path}"
    if body is None:
        response = getattr(client, method)(url)
    else:
        response = getattr(client, method)(url, body, content_type="application/json")
    assert (response.status_code, response.json()) == (
        403,
        {"detail": detail, "code": "permission_denied"},
    )
    with schema_context(clinic_a.schema_name):
        assert Review.objects.count() == before


def test_a_person_is_still_told_about_their_role(login, clinic_a):
    response = login("alpha_analyst").post(
        f"/clinics/{clinic_a.slug}/api/v1/reviews/ingest/",
        {"items": []},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "Your role in this clinic does not allow you to triage, draft and run incidents."
    )
