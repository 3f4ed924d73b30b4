"""What the approvals log's tests share: its addresses, a person's access, reading its rows
(the API, the CSV file, the pages) and the check that a list reads in the same queries for
one decision or many."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.actors import Actor
from clinics.access import clinic_access
from clinics.models import Clinic

PAGE = "/clinics/clinic-a/approvals-log/"
PORTAL = "/clinics/clinic-a/portal/approvals-log/"
API = "/clinics/clinic-a/api/v1/approvals-log/"


def access_in(world, name: str, clinic: Clinic):
    return clinic_access(Actor(user=world.users[name]), clinic)


def api_rows(client: Client, **params) -> list[dict]:
    response = client.get(API, {"page_size": 100, **params})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def listed(response) -> int:
    """How many decisions the API, the staff page or the portal lists."""
    assert response.status_code == 200, response.content[:500]
    if response["Content-Type"].startswith("application/json"):
        return len(response.json()["results"])
    return response.content.decode().count('data-decision="')


def same_queries_for_one_or_many(
    client: Client, url: str, each: int, add: Callable[[int], None]
) -> None:
    """`url` lists `each` decisions once `add(1)` made them, and 5 × `each` once `add(4)`
    made more, in as many queries."""
    add(1)
    assert listed(client.get(url)) == each  # per-process caches warm
    with CaptureQueriesContext(connection) as one:
        assert listed(client.get(url)) == each
    add(4)
    with CaptureQueriesContext(connection) as five:
        assert listed(client.get(url)) == 5 * each
    assert len(five) == len(one), "\n".join(q["sql"][:300] for q in five.captured_queries)
