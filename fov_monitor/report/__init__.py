"""The yearly follow-up report and the public camera register.

``figures`` reads a year of scans, alerts and audit lines into plain dataclasses; ``charts`` and
``drawing`` turn them and the permit into embedded images; ``yearly`` and ``register`` render the
HTML pages with Jinja2; ``export`` writes the same figures as CSV and JSON; ``output`` writes a
report folder all at once.
"""

from fov_monitor.report.figures import CameraFigures, FleetFigures, yearly_figures
from fov_monitor.report.organisation import Organisation

__all__ = ["CameraFigures", "FleetFigures", "Organisation", "yearly_figures"]
