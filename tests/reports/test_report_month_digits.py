"""Hostile-input walk 3: `?month=２０２６-１１` (full-width digits) and other Unicode digits read
as November 2026 (Python's `\\d` and `int()` take them); a month is written YYYY-MM in ASCII
digits, anything else is a 400 naming `month`, as the guide says."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "month", ["２０２６-１１", "٢٠٢٦-١١", "2026-１１"], ids=["full-width", "arabic-indic", "mixed"]
)
def test_a_month_in_other_digits_is_400(month, clinic_a, api):
    response = api("key_a_read").get(
        f"/clinics/{clinic_a.slug}/api/v1/reports/monthly/", {"month": month}
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"month": ["Use the form YYYY-MM, for example 2026-11."]}
