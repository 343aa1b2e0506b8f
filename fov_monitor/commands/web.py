"""``serve`` (the web app) and ``user add|list|passwd|disable`` (its users)."""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import sys

from fov_monitor.commands.common import EXIT_COMPLIANT, Context, add_json_option, print_json, print_table
from fov_monitor.errors import InvalidSettingsError
from fov_monitor.extras import Extra, needs_extra
from fov_monitor.web.roles import Role


def register(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    """Add the commands of this module to the ``fov-monitor`` parser."""
    serve = commands.add_parser(
        "serve",
        parents=[parent],
        help="run the web app (fleet, cameras, permit editor, audit log)",
        description="Run the web app on HOST:PORT. Put it behind a TLS reverse proxy for anything but "
        "loopback: its session cookies are Secure (sent over HTTPS only).",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    serve.add_argument(
        "--session-hours", type=float, default=8.0, help="a session ends this long after sign-in (default 8)"
    )
    serve.add_argument(
        "--session-idle-minutes",
        type=float,
        default=30.0,
        help="a session also ends when unused this long (default 30)",
    )
    serve.add_argument(
        "--signin-max-failures",
        type=int,
        default=5,
        help="failed sign-ins of one name within 15 minutes that lock it, 1 minute at first, "
        "doubling to an hour (default 5)",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        type=_proxy_addresses,
        default=(),
        metavar="IPS",
        help="the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: addresses or "
        "networks, comma-separated (e.g. 127.0.0.1,::1); none by default, so that no client can pick the "
        "address its sign-in failures are counted against",
    )
    serve.add_argument(
        "--insecure-cookies",
        action="store_true",
        help="cookies without 'Secure', for plain HTTP on loopback only (development); refused otherwise",
    )
    serve.set_defaults(run=run_serve)

    user = commands.add_parser("user", help="add, list, disable the web app's users or reset a password")
    actions = user.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", parents=[parent], help="add a user with a role")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, choices=[str(role) for role in Role])
    _add_password_stdin(add)
    add.set_defaults(run=run_user_add)
    passwd = actions.add_parser(
        "passwd",
        parents=[parent],
        help="set a user's password; their sessions end and any sign-in lock lifts",
    )
    passwd.add_argument("name", metavar="NAME")
    _add_password_stdin(passwd)
    passwd.set_defaults(run=run_user_passwd)
    listing = actions.add_parser("list", parents=[parent], help="list users and their roles")
    add_json_option(listing)
    listing.set_defaults(run=run_user_list)
    disable = actions.add_parser(
        "disable", parents=[parent], help="disable a user and end their sessions (users are never deleted)"
    )
    disable.add_argument("name", metavar="NAME")
    disable.set_defaults(run=run_user_disable)


def _add_password_stdin(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from stdin (first line) instead of a prompt",
    )


def _proxy_addresses(text: str) -> tuple[str, ...]:
    """Return the addresses and networks of ``--forwarded-allow-ips``, each checked."""
    addresses = tuple(part.strip() for part in text.split(",") if part.strip())
    for address in addresses:
        try:
            ipaddress.ip_network(address, strict=False)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{address!r} is not an IP address or network; name the reverse proxy's address, "
                "e.g. 127.0.0.1 or 10.0.0.0/24"
            ) from None
    return addresses


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run_serve(args: argparse.Namespace) -> int:
    with needs_extra(Extra.WEB, "fov-monitor serve"):
        import uvicorn

        from fov_monitor.web.app import create_app
        from fov_monitor.web.settings import WebSettings

    if args.insecure_cookies and not _is_loopback(args.host):
        raise InvalidSettingsError(
            f"--insecure-cookies is for loopback only, not --host {args.host}; serve over HTTPS "
            "behind a TLS reverse proxy instead"
        )
    settings = WebSettings(
        session_hours=args.session_hours,
        session_idle_minutes=args.session_idle_minutes,
        signin_max_failures=args.signin_max_failures,
        secure_cookies=not args.insecure_cookies,
    )
    context = Context.from_args(args)
    context.store.require()
    app = create_app(context.store, context.database_location(), settings)
    print(f"fov-monitor web app on http://{args.host}:{args.port}/ (Ctrl-C stops it)", file=sys.stderr)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        # Forwarded headers from the named proxies only: uvicorn would otherwise believe any client on
        # 127.0.0.1, which could then name any address as its own and never be locked out.
        proxy_headers=bool(args.forwarded_allow_ips),
        forwarded_allow_ips=",".join(args.forwarded_allow_ips) or None,
    )
    return EXIT_COMPLIANT


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("password: ")
    if password != getpass.getpass("again: "):
        raise InvalidSettingsError("the two passwords differ; nothing was stored")
    return password


def run_user_add(args: argparse.Namespace) -> int:
    with needs_extra(Extra.WEB, "fov-monitor user"):
        from fov_monitor.web.accounts import add_user

    context = Context.from_args(args)
    password = _read_password(args.password_stdin)
    with context.database() as database:
        user = add_user(database, args.name, password, Role.parse(args.role), actor=context.actor)
    print(f"user {user.name} added as {user.role}")
    return EXIT_COMPLIANT


def run_user_passwd(args: argparse.Namespace) -> int:
    with needs_extra(Extra.WEB, "fov-monitor user"):
        from fov_monitor.web.accounts import reset_password

    context = Context.from_args(args)
    password = _read_password(args.password_stdin)
    with context.database() as database:
        ended = reset_password(database, args.name, password, actor=context.actor)
    print(f"password of {args.name} set; {ended} session{'s' if ended != 1 else ''} ended")
    return EXIT_COMPLIANT


def run_user_list(args: argparse.Namespace) -> int:
    with needs_extra(Extra.WEB, "fov-monitor user"):
        from fov_monitor.web.accounts import users

    with Context.from_args(args).database() as database:
        every = users(database)
    if args.json:
        print_json([user.to_dict() for user in every])
    else:
        print_table(
            ["name", "role", "created", "state"],
            [(u.name, u.role, u.created_at, "disabled" if u.disabled else "active") for u in every],
        )
    return EXIT_COMPLIANT


def run_user_disable(args: argparse.Namespace) -> int:
    with needs_extra(Extra.WEB, "fov-monitor user"):
        from fov_monitor.web.accounts import disable_user

    context = Context.from_args(args)
    with context.database() as database:
        disable_user(database, args.name, actor=context.actor)
    print(f"user {args.name} disabled; their sessions have ended")
    return EXIT_COMPLIANT
