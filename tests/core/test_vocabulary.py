"""One enum per idea: the statuses and their outcome superset spelt once, the sets derived from them, the
audit log's actions, and the modes once spelt as ``Literal`` strings (values and spellings kept)."""

from __future__ import annotations

import json

import pytest

from fov_monitor.alerts.model import Event, Problem
from fov_monitor.core.result import Outcome, Status
from fov_monitor.db.audit import AuditAction
from fov_monitor.errors import InvalidSettingsError
from fov_monitor.report.figures import OUTCOMES, VERDICTS, DayStatus
from fov_monitor.sources import AuthKind, SourceAuth
from fov_monitor.web.fleet import FleetStatus
from fov_monitor.workflows.camera_check import EvidencePolicy


def test_every_status_is_the_outcome_of_its_name_and_value() -> None:
    for status in Status:
        assert Outcome.of(status) is Outcome[status.name]
        assert Outcome.of(status).value == status.value
        assert Outcome.of(status).status is status
    assert [outcome for outcome in Outcome if outcome.status is None] == [
        Outcome.OFFLINE,
        Outcome.ERROR,
        Outcome.OUTSIDE_DECISION,
    ]


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
        (Outcome.OUTSIDE_DECISION, True),
    ],
)
def test_a_view_breaking_the_permit_is_non_compliant(outcome: Outcome, non_compliant: bool) -> None:
    assert outcome.non_compliant is non_compliant
    if outcome.status is not None:
        assert outcome.status.non_compliant is non_compliant


def test_the_problems_are_the_outcomes_but_compliant_and_the_decision_ending() -> None:
    assert [problem.value for problem in Problem] == [
        *(o.value for o in Outcome if o is not Outcome.COMPLIANT),
        "decision_ending",
    ]
    assert Problem.of(Outcome.COMPLIANT) is None
    assert Problem.DECISION_ENDING.outcome is None
    assert not Problem.DECISION_ENDING.seen
    for problem in Problem:
        if problem.outcome is not None:
            assert Problem.of(problem.outcome) is problem
            assert problem.seen is problem.outcome.non_compliant


def test_the_report_and_the_overview_rank_and_count_the_same_outcomes() -> None:
    # The column order of the monthly counts and of the exports' checks_<outcome> columns.
    assert [str(outcome) for outcome in OUTCOMES] == [
        "compliant", "redirected", "zone_exposed", "tampered", "unverifiable", "offline", "error",
        "outside_decision",
    ]  # fmt: skip
    assert {Outcome.of(status) for status in Status} == VERDICTS
    assert {status.name for status in DayStatus} == {outcome.name for outcome in Outcome} | {"NOT_MONITORED"}
    assert all(DayStatus.of(outcome).name == outcome.name for outcome in Outcome)
    assert {status.value for status in Status} <= {status.value for status in FleetStatus}


STORED_ACTIONS = {
    "check", "scan started", "scan finished", "watch started", "evidence not written",
    "unblurred copy kept", "unblurred copies purged", "store initialised", "camera added",
    "camera edited", "camera removed", "camera imported", "camera import failed", "cameras exported",
    "reference captured", "reference rebaseline started",
    "reference rebaseline failed", "reference rebaselined", "reference learned",
    "reference forgotten", "permit carried over", "permit set",
    "store change failed", "store repaired",
    "alerts updated", "alert opened", "alert updated", "alert closed", "alert acknowledged",
    "alert resolved", "alert dismissed", "alert rebaseline proposed", "alert rebaseline approved",
    "alert rebaseline rejected", "alert rebaseline applied", "alert rebaseline failed", "delivery sent",
    "delivery failed", "delivery retried", "report written", "image viewed", "signed in", "signed out",
    "sign-in refused", "sign-in locked", "user added", "user disabled", "password changed",
    "password reset", "face blurring turned off", "face blurring turned on", "evidence images purged",
    "language chosen",
}  # fmt: skip
"""The actions existing databases hold: a value is never changed, only added."""


def test_the_audit_actions_keep_the_values_databases_hold() -> None:
    assert {str(action) for action in AuditAction} == STORED_ACTIONS


@pytest.mark.parametrize("event", list(Event), ids=str)
def test_every_alert_event_has_its_audit_action(event: Event) -> None:
    assert event.audit_action in AuditAction
    assert event.audit_action.value == f"alert {event.value.replace('_', ' ')}"


@pytest.mark.parametrize("kind", ["basic", "digest", AuthKind.BASIC, AuthKind.DIGEST])
def test_an_auth_kind_is_taken_as_its_value_or_member_and_written_as_its_value(kind: str) -> None:
    auth = SourceAuth.from_dict({"kind": kind, "username": "viewer", "password_env": "X"}, where="w")
    assert auth.kind is AuthKind(kind)
    assert SourceAuth(kind, "viewer", password_env="X") == auth
    assert json.dumps(auth.to_dict()) == f'{{"kind": "{kind}", "username": "viewer", "password_env": "X"}}'


def test_an_unknown_auth_kind_is_refused_naming_the_kinds() -> None:
    with pytest.raises(InvalidSettingsError, match="must be one of basic, digest, got 'ntlm'"):
        SourceAuth.from_dict({"kind": "ntlm", "username": "viewer", "password_env": "X"}, where="w")


@pytest.mark.parametrize(
    ("policy", "written_for"),
    [
        ("auto", {status for status in Status if status is not Status.COMPLIANT}),
        ("always", set(Status)),
        ("never", set()),
    ],
)
def test_the_evidence_policy_says_which_verdicts_get_an_image(policy: str, written_for: set[Status]) -> None:
    assert {status for status in Status if EvidencePolicy(policy).wants(status)} == written_for
    assert str(EvidencePolicy(policy)) == policy  # the spelling of check --evidence
