"""A clinic with several sources of one kind (a chain's two Google locations) imports each one's
history by CSV with a `source_id` column, as the push API takes it; without it the rows are
refused with the ids to choose from, as before."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_tenants.utils import schema_context

from feeds.models import Review, Source


@pytest.fixture
def two_locations(clinic_a):
    with schema_context(clinic_a.schema_name):
        downtown = Source.objects.create(kind="google", name="Downtown", settings={})
        uptown = Source.objects.create(kind="google", name="Uptown", settings={})
        yelp = Source.objects.create(kind="yelp", name="Yelp", settings={})
    return downtown, uptown, yelp


def _import(tmp_path, text: str, capsys) -> str:
    path = tmp_path / "history.csv"
    path.write_text(text, encoding="utf-8")
    call_command("import_reviews", "--clinic", "clinic-a", str(path), "--no-progress")
    out, err = capsys.readouterr()
    return out + err


def _stored(clinic) -> dict[str, str]:
    with schema_context(clinic.schema_name):
        return dict(Review.objects.values_list("external_id", "source__name"))


def test_rows_go_to_the_source_their_source_id_names(tmp_path, clinic_a, two_locations, capsys):
    downtown, uptown, yelp = two_locations
    out = _import(
        tmp_path,
        "source,source_id,external_id,rating,text,published_at\n"
        f"google,{downtown.pk},d-1,5,Lovely,2026-11-02T10:00:00Z\n"
        f"google,{uptown.pk},u-1,2,Long wait,2026-11-03T10:00:00Z\n"
        f",{uptown.pk},u-2,4,Good,2026-11-04T10:00:00Z\n"
        f"google,{yelp.pk},x-1,4,Wrong source,2026-11-04T10:00:00Z\n"
        "google,,x-2,4,Which location?,2026-11-04T10:00:00Z\n",
        capsys,
    )

    assert "3 created, 0 updated, 0 unchanged, 2 rejected" in out
    assert _stored(clinic_a) == {"d-1": "Downtown", "u-1": "Uptown", "u-2": "Uptown"}
    assert f"history.csv:5: source: source “google” does not match source_id {yelp.pk}" in out
    assert (
        "history.csv:6: source: This clinic has several google sources turned on "
        f"(ids {downtown.pk}, {uptown.pk}): give source_id." in out
    )


def test_a_header_with_source_id_and_no_source_column_is_read(
    tmp_path, clinic_a, two_locations, capsys
):
    _downtown, uptown, _yelp = two_locations
    out = _import(
        tmp_path,
        f"source_id,external_id,published_at\n{uptown.pk},u-9,2026-11-05T10:00:00Z\n",
        capsys,
    )

    assert "1 created" in out
    assert _stored(clinic_a) == {"u-9": "Uptown"}


def test_the_import_page_names_the_column(login, clinic_a, two_locations):
    page = login("alpha_manager").get("/clinics/clinic-a/imports/").content.decode()
    assert "add a source_id column" in page
    sources_page = login("alpha_manager").get("/clinics/clinic-a/sources/").content.decode()
    assert f"· id {two_locations[1].pk}" in sources_page
