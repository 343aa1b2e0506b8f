"""The web app for technicians, reviewers, auditors and admins (``fov-monitor serve``).

Modules, one job each: :mod:`.settings` (how the app runs), :mod:`.roles` (what each role may do),
:mod:`.accounts` (users and password hashes), :mod:`.sessions` (sign-in sessions and CSRF tokens),
:mod:`.pool` (database connections for worker threads), :mod:`.auth` (the request's user, role and
CSRF checks), :mod:`.limits` (body size and content type), :mod:`.images` (every image served:
blurred, zones filled, audited), :mod:`.fleet` (status per camera), :mod:`.charts` (inline SVG),
:mod:`.routes` (pages and JSON API per area) and :mod:`.app` (the factory that wires them).

:mod:`.accounts`, :mod:`.sessions` and :mod:`.roles` import no web framework, so that the
``fov-monitor user`` commands work on the database alone.
"""
