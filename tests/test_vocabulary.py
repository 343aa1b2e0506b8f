"""One enum per idea: the statuses and their outcome superset, spelt once, and the sets derived from them."""

from __future__ import annotations

import pytest

from fov_monitor.alerts.model import Problem
from fov_monitor.core.result import Outcome, Status
from fov_monitor.report.figures import OUTCOMES, VERDICTS, DayStatus
from fov_monitor.web.fleet import FleetStatus


def test_every_status_is_the_outcome_of_its_name_and_value() -> None:
    for status in Status:
        assert Outcome.of(status) is Outcome[status.name]
        assert Outcome.of(status).value == status.value
        assert Outcome.of(status).status is status
    assert [outcome for outcome in Outcome if outcome.status is None] == [Outcome.OFFLINE, Outcome.ERROR]


@pytest.mark.parametrize(
    ("outcome", "non_compliant"),
    [
        (Outcome.COMPLIANT, False),
        (Outcome.REDIRECTED, True),
        (Outcome.ZONE_EXPOSED, True),
        (Outcome.TAMPERED, True),
        (Outcome.UNVERIFIABLE, False),
        (Outcome.OFFLINE, False),
        (Outcome.ERROR, False),
    ],
)
def test_a_view_breaking_the_permit_is_non_compliant(outcome: Outcome, non_compliant: bool) -> None:
    assert outcome.non_compliant is non_compliant
    if outcome.status is not None:
        assert outcome.status.non_compliant is non_compliant


def test_the_problems_are_the_outcomes_but_compliant() -> None:
    assert [problem.value for problem in Problem] == [o.value for o in Outcome if o is not Outcome.COMPLIANT]
    assert Problem.of(Outcome.COMPLIANT) is None
    for problem in Problem:
        assert Problem.of(problem.outcome) is problem
        assert problem.seen is problem.outcome.non_compliant


def test_the_report_and_the_overview_rank_and_count_the_same_outcomes() -> None:
    # The column order of the monthly counts and of the exports' checks_<outcome> columns.
    assert [str(outcome) for outcome in OUTCOMES] == [
        "compliant", "redirected", "zone_exposed", "tampered", "unverifiable", "offline", "error",
    ]  # fmt: skip
    assert {Outcome.of(status) for status in Status} == VERDICTS
    assert {status.name for status in DayStatus} == {outcome.name for outcome in Outcome} | {"NO_CHECK"}
    assert all(DayStatus.of(outcome).name == outcome.name for outcome in Outcome)
    assert {status.value for status in Status} <= {status.value for status in FleetStatus}
