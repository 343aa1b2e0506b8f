"""The pure verdict: arrays in, values out, no I/O.

Imaging at a working size, local features, homographies and their checks, alignment against the
camera's references, the view's geometry against the permit, frame quality and tampering, the frame's
fingerprint, the verdict (:func:`fov_monitor.core.check.check_frame`) and the values it returns. It
imports nothing of fov-monitor outside itself but :mod:`fov_monitor.errors`, so it runs on any worker
and is tested and benchmarked alone.
"""
