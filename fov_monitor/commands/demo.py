"""``demo``: a three-camera fleet from installed packages, served over HTTP on loopback, checked."""

from __future__ import annotations

import argparse
from pathlib import Path

from fov_monitor.commands.checks import camera_check_document
from fov_monitor.commands.common import EXIT_COMPLIANT, add_json_option, print_json, print_table


def register(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    """Add ``demo`` to the ``fov-monitor`` parser."""
    demo = commands.add_parser(
        "demo",
        help="enrol and check three demo cameras made from photographs that scikit-image ships",
        description="Build a demo fleet in a new temporary store (unchanged, knocked out of its permit, "
        "privacy zone exposed), serve it as HTTP snapshot cameras on loopback and check every camera. "
        "Needs nothing but the installed packages.",
    )
    demo.add_argument("--store", type=Path, metavar="DIR", help="an empty folder for the demo store")
    add_json_option(demo)
    demo.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from fov_monitor.demo import run_demo

    outcome = run_demo(args.store)
    if args.json:
        print_json(
            {
                "store": str(outcome.store_root),
                "cameras": [camera_check_document(check) for _, check in outcome.checks],
            }
        )
        return EXIT_COMPLIANT
    rows = [
        (
            camera.camera_id,
            camera.story,
            check.result.status,
            None if check.result.outside_fraction is None else f"{check.result.outside_fraction:.1%}",
            check.result.reasons[0],
        )
        for camera, check in outcome.checks
    ]
    print_table(["camera", "what happened", "verdict", "outside", "reason"], rows)
    print()
    for camera, check in outcome.checks:
        if check.evidence_path:
            print(f"evidence for {camera.camera_id}: {check.evidence_path}")
    print(f"demo store (cameras, references, results, audit log): {outcome.store_root}")
    print(f"try: fov-monitor --store {outcome.store_root} camera list")
    return EXIT_COMPLIANT
