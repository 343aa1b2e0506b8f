"""A real RTSP server on loopback for the tests: H.264 from a real video, via GStreamer's RTSP server.

Run with Debian's system python, which has ``gi`` (``python3-gi``, ``gir1.2-gst-rtsp-server-1.0``,
the gstreamer plugins: see ``.ci/run``); fov-monitor's own environment does not need it::

    /usr/bin/python3 tests/support/rtsp_server.py VIDEO [--port 0]

It prints ``READY rtsp://127.0.0.1:PORT/cam`` once it listens, and exits when its stdin closes (so it
never outlives the test that started it). Every client gets its own pipeline, from the first frame.
"""

from __future__ import annotations

import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

MOUNT = "/cam"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", help="a video file GStreamer's decodebin can read")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: a free one)")
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    location = args.video.replace("\\", "\\\\").replace('"', '\\"')
    factory.set_launch(
        f'( filesrc location="{location}" ! decodebin ! videoconvert ! video/x-raw,format=I420 '
        "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10 ! rtph264pay name=pay0 pt=96 )"
    )
    factory.set_shared(False)
    server.get_mount_points().add_factory(MOUNT, factory)
    if server.attach(None) == 0:
        sys.exit("error: the RTSP server could not listen; is the port free?")

    loop = GLib.MainLoop()
    stdin = GLib.IOChannel.unix_new(sys.stdin.fileno())
    GLib.io_add_watch(
        stdin, GLib.PRIORITY_DEFAULT, GLib.IOCondition.HUP | GLib.IOCondition.IN, _quit_on_eof, loop
    )
    print(f"READY rtsp://127.0.0.1:{server.get_bound_port()}{MOUNT}", flush=True)
    loop.run()


def _quit_on_eof(channel: GLib.IOChannel, condition: GLib.IOCondition, loop: GLib.MainLoop) -> bool:
    if condition & GLib.IOCondition.HUP or not sys.stdin.buffer.read1(4096):
        loop.quit()
        return False
    return True


if __name__ == "__main__":
    main()
