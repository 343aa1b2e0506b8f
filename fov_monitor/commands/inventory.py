"""``camera import`` and ``camera export``: the fleet as a table, in CSV or JSON lines."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from fov_monitor.commands.common import EXIT_COMPLIANT, EXIT_ERROR, Context, print_json, warn
from fov_monitor.errors import StoreError
from fov_monitor.files.atomic import write_bytes_atomic
from fov_monitor.sources import secrets_in
from fov_monitor.workflows.fleet_import import (
    Applied,
    Change,
    ImportPlan,
    RowPlan,
    apply_import,
    export_rows,
    plan_import,
)
from fov_monitor.workflows.inventory import COLUMNS, InventoryFormat, read_inventory, write_inventory

_COLUMNS_HELP = "columns: " + "; ".join(f"{name}: {what}" for name, what in COLUMNS.items())


def register(actions: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    """Add ``import`` and ``export`` to the ``camera`` command's actions."""
    importing = actions.add_parser(
        "import",
        parents=[parent],
        help="add or change many cameras and their permits from a CSV or JSON lines file",
        description="Add or change the cameras of an inventory, one row per camera: its settings, and "
        "the decision and permitted area of its permit. A column a row lacks leaves the camera's value "
        "as it is; an empty cell means none or the default. A password is never in the file: name the "
        "environment variable (password_env) or the file (password_file) that holds it. Each camera "
        "is changed whole or not at all, and written to the audit log first; invalid rows are listed, "
        "naming the row and the column, and left out. Importing the same file again changes nothing. "
        + _COLUMNS_HELP,
    )
    importing.add_argument("file", type=Path, metavar="FILE", help="the inventory (.csv or .jsonl)")
    importing.add_argument(
        "--dry-run", action="store_true", help="check every row and say what would change; write nothing"
    )
    _add_format_option(importing)
    importing.add_argument("--json", action="store_true", help="print what each row does as JSON")
    importing.set_defaults(run=run_import)

    export = actions.add_parser(
        "export",
        parents=[parent],
        help="write the cameras and their permits as an inventory (what 'camera import' reads)",
        description="Write every camera (or a group) as a row of an inventory, in the columns 'camera "
        "import' reads, so that importing it again changes nothing. Credentials are named (the "
        "variable, the file), never read; a secret in a source URL is written as ***.",
    )
    export.add_argument("--group", help="only the cameras of this group")
    _add_format_option(export)
    export.add_argument("--out", type=Path, metavar="FILE", help="write to FILE instead of standard output")
    export.set_defaults(run=run_export)


def _add_format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=[str(f) for f in InventoryFormat],
        help="csv or jsonl (default: from the file's name; csv on standard output)",
    )


def run_import(args: argparse.Namespace) -> int:
    context = Context.from_args(args)
    inventory = read_inventory(args.file, InventoryFormat(args.format) if args.format else None)
    plan = plan_import(context.store, inventory, actor=context.actor)
    applied: list[Applied] = []
    if not args.dry_run:
        with context.database() as database:
            for done in apply_import(context.store, database, plan, actor=context.actor):
                applied.append(done)
                if not args.json:
                    print(_row_line(done.plan, done.error), flush=True)
    failed = {done.plan.line: done.error for done in applied if done.error is not None}
    if args.json:
        rows = [row.to_dict() | {"write_error": failed.get(row.line)} for row in plan.rows]
        print_json({"file": str(args.file), "dry_run": args.dry_run, "counts": plan.counts(), "rows": rows})
    else:
        for row in plan.rows:
            if row.change is Change.INVALID:
                print("\n".join(str(error) for error in row.errors))
            elif args.dry_run or row.change is Change.UNCHANGED:  # the others were said as they were done
                print(_row_line(row, None))
        print(_summary(plan, failed, dry_run=args.dry_run))
    left_out = sum(row.change is Change.INVALID for row in plan.rows) + len(failed)
    if left_out:
        print(
            f"error: {left_out} row(s) of {plan.path} {'would be' if args.dry_run else 'were'} left out "
            "(listed above with their row and column); correct them and import the file again",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return EXIT_COMPLIANT


def _row_line(row: RowPlan, error: str | None) -> str:
    what = f" ({', '.join(row.changed)})" if row.change is Change.CHANGED else ""
    line = f"row {row.line}: {row.camera_id} {row.change}{what}"
    return line if error is None else f"{line}, NOT written: {error}"


def _summary(plan: ImportPlan, failed: dict[int, str], *, dry_run: bool) -> str:
    done = Counter(row.change for row in plan.rows if row.line not in failed)
    rest = f"{done[Change.UNCHANGED]} unchanged, {done[Change.INVALID]} invalid"
    if dry_run:
        return (
            f"{plan.path}: would add {done[Change.ADDED]}, change {done[Change.CHANGED]}; {rest}; "
            "nothing was written (dry run)"
        )
    written = f"{plan.path}: added {done[Change.ADDED]}, changed {done[Change.CHANGED]}; {rest}"
    return written + (f", {len(failed)} not written" if failed else "")


def run_export(args: argparse.Namespace) -> int:
    context = Context.from_args(args)
    file_format = InventoryFormat(args.format) if args.format else None
    if file_format is None:
        file_format = InventoryFormat.of(args.out) if args.out else InventoryFormat.CSV
    rows, problems = export_rows(context.store, args.group)
    for row in rows:
        if "***" in (row.get("source") or "") and not secrets_in(row["source"]):
            warn(
                f"{row['id']}: its source holds a secret, written as ***; move it to password_env or "
                "password_file ('fov-monitor camera edit')"
            )
    text = write_inventory(rows, file_format)
    if args.out:
        try:
            write_bytes_atomic(args.out, text.encode("utf-8"))
        except OSError as exc:
            raise StoreError(
                f"cannot write {args.out} ({exc.strerror or exc}); choose another --out"
            ) from None
        print(f"exported {len(rows)} camera(s) to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    for problem in problems:
        warn(problem)
    if problems:
        print(
            f"error: {len(problems)} camera(s) could not be read and are not exported (above); see "
            "'fov-monitor validate'",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return EXIT_COMPLIANT
