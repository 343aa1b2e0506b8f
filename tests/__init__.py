"""fov-monitor's tests: a folder per layer of the package, and ``tests.support`` for their helpers."""
