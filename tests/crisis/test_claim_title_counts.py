"""A misinformation incident's title counts every mention of its claim that it holds: the
claim's mentions not flagged themselves are linked in the run that opens it, after the detector
wrote its title (walk 1 on phones, F20: "4 mentions repeat one claim" beside "16 in all")."""

from __future__ import annotations

from datetime import timedelta

from crisis.models import Incident
from tests.crisis.conftest import NOW
from tests.crisis.test_claim_links import (  # noqa: F401 - the autouse fixture
    _claim_lines,
    _clustered,
    _linked,
    _mentions,
    _no_earlier_claims,
    _run,
)

MIN = timedelta(minutes=1)


def test_the_title_counts_the_claims_mentions_linked_as_it_opened_and_later_so_far(social):
    # given three flagged copies of a claim and one mention of it that was not flagged
    flagged = _mentions(social, NOW - 60 * MIN, NOW - 55 * MIN, NOW - 50 * MIN)
    quiet = _mentions(social, NOW - 52 * MIN, flagged=False)
    _clustered(*flagged, *quiet)

    # when the detectors open an incident for it
    [incident] = _run(NOW - 49 * MIN)

    # then its title counts the 4 it holds, as the timeline does
    assert incident.kind == "misinformation"
    assert len(_linked(incident)) == 4 and _claim_lines(incident) == [(1, 4)]
    assert incident.title == "Misinformation: 4 mentions repeat one claim"
    assert Incident.objects.get(pk=incident.pk).title == incident.title
    # and a later run that links nothing leaves it so
    _run(NOW - 40 * MIN)
    assert Incident.objects.get(pk=incident.pk).title == incident.title

    # when more copies arrive, the title says the mentions so far
    more = _mentions(social, NOW - 35 * MIN, NOW - 34 * MIN)
    _clustered(*more)
    _run(NOW - 30 * MIN)
    assert Incident.objects.get(pk=incident.pk).title == (
        "Misinformation: 4 mentions repeat one claim, 6 so far"
    )
