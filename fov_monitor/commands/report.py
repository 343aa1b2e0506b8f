"""``report yearly`` (the yearly follow-up report) and ``report register`` (the public register)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from fov_monitor.commands.common import EXIT_COMPLIANT, EXIT_UNVERIFIABLE, Context, warn
from fov_monitor.db.audit import AuditAction
from fov_monitor.extras import Extra, needs_extra
from fov_monitor.i18n import Language
from fov_monitor.report.organisation import Organisation
from fov_monitor.report.output import MARKER, write_folder
from fov_monitor.report.selection import UnreadableCamera

if TYPE_CHECKING:
    from fov_monitor.report.yearly import ReportFiles

EXIT_NOT_REPORTED = EXIT_UNVERIFIABLE
"""The report was written, but cameras whose store files cannot be read are not in it (4, as a check
that could not verify a camera): each is named on stderr, and in the yearly report and its exports."""

EXIT_TEXT = (
    "exit codes: 0 every camera reported; 4 the report was written, but some cameras (or, for the yearly "
    "report, weighing files) could not be read and are left out (one warning line each on stderr: what, "
    "the reason and the fix); 1 error, nothing written (one line on stderr); 2 usage error."
)


def register(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    """Add the commands of this module to the ``fov-monitor`` parser."""
    report = commands.add_parser("report", help="the yearly follow-up report and the public camera register")
    kinds = report.add_subparsers(dest="report_kind", metavar="KIND", required=True)

    yearly = kinds.add_parser(
        "yearly",
        parents=[parent],
        help="the yearly follow-up report: compliance, deviations, re-baselines, the yearly weighing",
        description="Write an HTML report of one calendar year into --out: index.html for the "
        "organisation, cameras/<camera>.html for each camera, figures.csv and figures.json (each naming "
        "the build), and SHA256SUMS of every file. Every page is self-contained (images embedded) and "
        "prints to PDF with page numbers. An earlier report in --out is replaced whole, once the new one is "
        "complete. Days and times are in the 'timezone' of <store>/organisation.json (UTC without it); the "
        "current year is reported to date. A camera whose files in the store cannot be read is named in "
        "the report instead of reported.",
        epilog=EXIT_TEXT,
    )
    yearly.add_argument("--year", type=int, required=True, help="the calendar year, e.g. 2026")
    yearly.add_argument("--group", metavar="G", help="only the cameras of this group")
    yearly.add_argument("--out", type=Path, required=True, metavar="DIR", help="the report folder")
    yearly.add_argument(
        "--jobs", type=int, default=None, metavar="N", help="processes for face blurring (default: the cores)"
    )
    yearly.add_argument(
        "--csv-dialect",
        choices=["comma", "semicolon"],
        default="comma",
        help="figures.csv (UTF-8 with a byte-order mark): 'comma' separates cells with commas and writes "
        "decimal points (default); 'semicolon' uses semicolons and decimal commas, as Swedish spreadsheets "
        "open it",
    )
    yearly.add_argument(
        "--prepared-by", metavar="NAME", help="who prepared the report, in its sign-off (default: --actor)"
    )
    yearly.add_argument(
        "--prepared-for",
        metavar="NAME",
        help="for whom, in its sign-off (default: 'responsible' of organisation.json, else its name)",
    )
    _add_language(yearly, "the language of the report's pages (figures.csv and figures.json stay English)")
    yearly.set_defaults(run=run_yearly)

    public = kinds.add_parser(
        "register",
        parents=[parent],
        help="the public register of cameras, in plain language",
        description="Write the public camera register into --out: index.html (who is responsible, how to "
        "ask, the areas) and one page per area (group) with, for each camera, where, why and when it "
        "films and its permitted view with faces blurred. Needs <store>/organisation.json. A camera whose "
        "files in the store cannot be read is left out.",
        epilog=EXIT_TEXT,
    )
    public.add_argument("--group", metavar="G", help="only the cameras of this group (area)")
    public.add_argument("--out", type=Path, required=True, metavar="DIR", help="the register folder")
    public.add_argument(
        "--jobs", type=int, default=None, metavar="N", help="processes for face blurring (default: the cores)"
    )
    _add_language(public, "the register's language")
    public.set_defaults(run=run_register)

    signs = kinds.add_parser(
        "signs",
        parents=[parent],
        help="a printable sign per camera (A4 and A5) with a QR code to its page of the register",
        description=(
            "Write into --out a sign per camera whose decision is valid today: signs/<camera>-a4.html and "
            "-a5.html, each printing to one page of its size, with the camera pictogram, who is "
            "responsible, the purpose, the contact, how long recordings are kept, and a QR code that "
            "opens the camera's section of the public register ('register_url' of "
            "<store>/organisation.json, which is needed), and index.html listing them."
        ),
        epilog=EXIT_TEXT,
    )
    signs.add_argument("--group", metavar="G", help="only the cameras of this group (area)")
    signs.add_argument("--out", type=Path, required=True, metavar="DIR", help="the signs folder")
    _add_language(signs, "the signs' language")
    signs.set_defaults(run=run_signs)


def _add_language(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--language",
        choices=[str(language) for language in Language],
        help=f"{what} (default: 'language' in organisation.json, else en)",
    )


def _language(args: argparse.Namespace) -> Language | None:
    return Language(args.language) if args.language else None


def run_yearly(args: argparse.Namespace) -> int:
    with needs_extra(Extra.REPORT, "fov-monitor report"):
        from fov_monitor.report.export import CsvDialect
        from fov_monitor.report.yearly import ReportFiles, SignOff, build_yearly, check_year

    year = check_year(args.year)
    context = Context.from_args(args)
    organisation = Organisation.for_store(context.store.root)
    prepared_for = args.prepared_for or (
        organisation.responsible or organisation.name if organisation else ""
    )
    sign_off = SignOff(args.prepared_by or context.actor, prepared_for)
    with context.database() as database:
        report = write_folder(
            args.out,
            "yearly",
            lambda folder: build_yearly(
                context.store,
                database,
                year,
                folder,
                organisation=organisation,
                privacy=context.settings.privacy,
                group=args.group,
                jobs=args.jobs,
                sign_off=sign_off,
                csv_dialect=CsvDialect(args.csv_dialect),
                language=_language(args),
            ),
        )
    fleet = report.fleet
    files = ReportFiles.of(args.out, len(fleet.cameras))
    period = report.build.period
    _audit(
        context,
        "yearly",
        args,
        files,
        fleet.not_reported,
        year=year,
        period=[period.first.isoformat(), period.last.isoformat()],
        unreadable_weighings=[w.source for w in report.unreadable_weighings],
    )
    to_date = f" to date (as of {period.last})" if period.to_date else ""
    print(f"wrote the {year} report{to_date} of {files.cameras} cameras to {args.out}: {files.in_words}")
    for weighing in report.unreadable_weighings:
        warn(weighing.warning())
    code = _warn_not_reported(fleet.not_reported)
    return EXIT_NOT_REPORTED if report.unreadable_weighings else code


def run_register(args: argparse.Namespace) -> int:
    with needs_extra(Extra.REPORT, "fov-monitor report"):
        from fov_monitor.report.register import build_register
        from fov_monitor.report.yearly import ReportFiles

    context = Context.from_args(args)
    context.store.require()
    organisation = Organisation.require(context.store.root)
    built = write_folder(
        args.out,
        "register",
        lambda folder: build_register(
            context.store,
            folder,
            organisation=organisation,
            privacy=context.settings.privacy,
            group=args.group,
            jobs=args.jobs,
            previous=Path(args.out) if (Path(args.out) / MARKER).is_file() else None,
            language=_language(args),
        ),
    )
    files = ReportFiles.of(args.out, built.cameras)
    _audit(context, "register", args, files, built.not_reported)
    apart = (
        f" (and {built.without_decision} without a valid decision, listed apart)"
        if built.without_decision
        else ""
    )
    print(f"wrote the public register of {built.cameras} cameras{apart} to {args.out}: {files.in_words}")
    return _warn_not_reported(built.not_reported)


def run_signs(args: argparse.Namespace) -> int:
    with needs_extra(Extra.REPORT, "fov-monitor report signs"):
        from fov_monitor.report.signs import build_signs
        from fov_monitor.report.yearly import ReportFiles

    context = Context.from_args(args)
    context.store.require()
    organisation = Organisation.require(context.store.root)
    built = write_folder(
        args.out,
        "signs",
        lambda folder: build_signs(
            context.store,
            folder,
            organisation=organisation,
            group=args.group,
            language=_language(args),
        ),
    )
    files = ReportFiles.of(args.out, len(built.signs))
    _audit(context, "signs", args, files, built.not_reported, without_decision=built.without_decision)
    print(f"wrote the signs of {len(built.signs)} cameras to {args.out} (A4 and A5 each)")
    for camera_id in built.without_decision:
        print(f"no sign for camera {camera_id}: no decision allows it to film today")
    return _warn_not_reported(built.not_reported)


def _audit(
    context: Context,
    kind: str,
    args: argparse.Namespace,
    files: ReportFiles,
    not_reported: Sequence[UnreadableCamera],
    **detail: object,
) -> None:
    # A report carries image material (blurred references) out of the store: who wrote which, where.
    context.audit(
        AuditAction.REPORT_WRITTEN,
        None,
        kind=kind,
        group=args.group,
        out=str(Path(args.out).resolve()),
        cameras=files.cameras,
        not_reported=[camera.camera_id for camera in not_reported],
        **detail,
    )


def _warn_not_reported(cameras: Sequence[UnreadableCamera]) -> int:
    for camera in cameras:
        warn(camera.warning())
    return EXIT_NOT_REPORTED if cameras else EXIT_COMPLIANT
