"""``demo``: enrol the built-in demo cameras in the store and run the nightly scan over them."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from fov_monitor.commands.common import EXIT_COMPLIANT, Context
from fov_monitor.commands.scan_output import scan_and_print
from fov_monitor.scan import SCAN_EXIT_CODES_TEXT, ScanSettings, Selection


def register(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    """Add ``demo`` to the ``fov-monitor`` parser."""
    demo = commands.add_parser(
        "demo",
        parents=[parent],
        help="enrol three built-in demo cameras in the store and scan them as the nightly job does",
        description="Enrol the built-in demo cameras, made from photographs that scikit-image ships "
        "(source demo:<id>; unchanged, knocked out of its permit, privacy zone exposed), in the store "
        "(default ./reference_frames, results in its SQLite file) unless they are there already, then "
        "run 'fov-monitor scan --group demo' over them: verdicts, evidence, alerts. Needs nothing but the "
        "installed packages. Exits 0 when every demo camera got the verdict its story calls for.",
        epilog=SCAN_EXIT_CODES_TEXT,
    )
    demo.add_argument(
        "--json", type=Path, metavar="FILE", help="also write the scan's outcomes as JSON to FILE"
    )
    demo.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from fov_monitor.sources.demo import DEMO_GROUP, demo_cameras
    from fov_monitor.workflows.demo import enrol_demo

    context = Context.from_args(args)
    context.store.init()
    with context.database() as database:
        enrolled = enrol_demo(context.store, database, context.settings.privacy, context.actor)
    if enrolled:
        print(f"enrolled the demo cameras {', '.join(enrolled)} in {context.store.root}", flush=True)
    settings = ScanSettings(context.actor, concurrency=4, workers=min(2, os.cpu_count() or 1), cluster=None)
    code = scan_and_print(context, Selection(DEMO_GROUP, (), False), settings, json_path=args.json)
    print()
    as_told = True
    with context.database() as database:
        for camera in demo_cameras():
            latest = database.history(camera.camera_id, limit=1)
            status = latest[0].status if latest else None
            evidence = f"; evidence: {latest[0].evidence_path}" if latest and latest[0].evidence_path else ""
            print(f"{camera.camera_id} ({camera.story}): {status or 'not checked'}{evidence}")
            as_told = as_told and status is camera.expected
    store = context.store.root
    print(f"\nstore: {store} (results and audit log: {context.database_location()})")
    print(f"next: fov-monitor --store {store} alerts list   |   fov-monitor --store {store} scan")
    if not as_told:
        print("demo: a camera did not get the verdict its story calls for (see above)")
        return code
    return EXIT_COMPLIANT
