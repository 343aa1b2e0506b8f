"""The sub-commands of ``fov-monitor``, one module per group; each has a ``register`` function."""
