"""Roles and what each may do.

Four roles, each for one kind of work, none a superset of another (separation of duties):

* admin: users and settings (not the alerts: managing accounts is no reason to read evidence), and
  the camera list (the inventory ``fov-monitor camera import`` reads, credentials named, never shown);
* technician: cameras, permits, references, checks (sees images: references and evidence), the camera
  list; reads the review queue, since the alerts are the cameras to fix, but takes no step in it;
* reviewer: alerts and reviews (sees images: the evidence under review), incl. approving a re-baseline
  another reviewer proposed;
* auditor: read-only: the fleet, results, the review queue and the audit log (sees no images).
"""

from __future__ import annotations

import enum

from fov_monitor.errors import N_, InvalidSettingsError


class Role(enum.StrEnum):
    """A user's role."""

    ADMIN = "admin"
    TECHNICIAN = "technician"
    REVIEWER = "reviewer"
    AUDITOR = "auditor"

    @classmethod
    def parse(cls, value: object) -> Role:
        """Return the role named ``value``, or raise naming the roles there are."""
        try:
            return cls(str(value))
        except ValueError:
            raise InvalidSettingsError(
                f"role {value!r} does not exist; use one of {', '.join(role.value for role in cls)}"
            ).saying(N_("Choose one of the roles in the list.")) from None


class Permission(enum.StrEnum):
    """One thing a role may do."""

    VIEW_FLEET = "view fleet"
    VIEW_CAMERA = "view camera"
    VIEW_IMAGES = "view images"
    EDIT_PERMIT = "edit permit"
    RUN_CHECK = "run check"
    MANAGE_REFERENCES = "remove learned references"
    VIEW_ALERTS = "view alerts"
    REVIEW_ALERTS = "review alerts"
    APPROVE_REBASELINE = "approve a re-baseline"
    VIEW_AUDIT = "view audit log"
    MANAGE_USERS = "manage users"
    EXPORT_CAMERAS = "export the camera list"


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset({Permission.VIEW_FLEET, Permission.MANAGE_USERS, Permission.EXPORT_CAMERAS}),
    Role.TECHNICIAN: frozenset(
        {
            Permission.VIEW_FLEET,
            Permission.VIEW_CAMERA,
            Permission.VIEW_IMAGES,
            Permission.EDIT_PERMIT,
            Permission.RUN_CHECK,
            Permission.MANAGE_REFERENCES,
            Permission.VIEW_ALERTS,
            Permission.EXPORT_CAMERAS,
        }
    ),
    Role.REVIEWER: frozenset(
        {
            Permission.VIEW_FLEET,
            Permission.VIEW_CAMERA,
            Permission.VIEW_IMAGES,
            Permission.VIEW_ALERTS,
            Permission.REVIEW_ALERTS,
            Permission.APPROVE_REBASELINE,
        }
    ),
    Role.AUDITOR: frozenset(
        {Permission.VIEW_FLEET, Permission.VIEW_CAMERA, Permission.VIEW_ALERTS, Permission.VIEW_AUDIT}
    ),
}


def allows(role: Role, permission: Permission) -> bool:
    """Return True if ``role`` may do ``permission``."""
    return permission in GRANTS[role]


__all__ = ["GRANTS", "Permission", "Role", "allows"]
