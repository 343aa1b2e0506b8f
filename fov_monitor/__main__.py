"""Run the command line: ``python -m fov_monitor``."""

from fov_monitor.cli import main

raise SystemExit(main())
