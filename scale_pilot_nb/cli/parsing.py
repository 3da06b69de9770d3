"""The options every command shares, and one way to declare a command.

Secrets never come from a plain argument (they would land in shell history and ``ps``):
``--api-key-file`` and ``--password-file`` name files, and the environment / profile /
``.env`` layers of :mod:`scale_pilot_nb.config` do the rest.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scale_pilot_nb.cli.session import Session

__all__ = [
    "Handler",
    "add_address_options",
    "add_command",
    "add_connection_options",
    "add_global_options",
    "add_output_options",
    "add_wait_options",
    "add_yes_option",
    "apply_global_options",
    "connected_parent",
    "global_options_taking_values",
]

#: Where an option written before the command is kept until :func:`apply_global_options`.
_GLOBAL_PREFIX = "global_"

Handler = Callable[["Session"], int]
"""A command: reads ``session.args``, writes through ``session.out``, returns an exit status."""


def add_command(
    commands: Any,
    name: str,
    handler: Handler,
    *,
    summary: str,
    examples: Sequence[str],
    parents: Sequence[argparse.ArgumentParser] = (),
    aliases: Sequence[str] = (),
    description: str | None = None,
) -> argparse.ArgumentParser:
    """Add sub-command ``name`` whose ``--help`` ends with ``examples``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        aliases=list(aliases),
        parents=list(parents),
        help=summary,
        description=description or summary[0].upper() + summary[1:] + ".",
        epilog="examples:\n" + "\n".join(f"  {e}" for e in examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=handler)
    return parser


def add_app_command(
    commands: Any,
    connected: argparse.ArgumentParser,
    name: str,
    handler: Handler,
    *,
    summary: str,
    examples: Sequence[str],
    description: str | None = None,
) -> argparse.ArgumentParser:
    """Add a command about one app: the connection options and a ``NAME`` argument.

    ``describe``, ``logs``, ``delete``, ``history``, ``rollback`` and ``upgrade`` all start so;
    they add their own options to the parser this returns.
    """
    parser = add_command(
        commands,
        name,
        handler,
        summary=summary,
        examples=examples,
        parents=[connected],
        description=description,
    )
    parser.add_argument("name", metavar="NAME", help="the app")
    return parser


def connected_parent() -> argparse.ArgumentParser:
    """A parent parser with the connection and output options of commands that talk to a NAS."""
    parent = argparse.ArgumentParser(add_help=False)
    add_connection_options(parent)
    add_output_options(parent)
    return parent


def add_global_options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """The connection and output options, also accepted before the command.

    ``scale-compose --json list`` = ``scale-compose list --json`` (like ``kubectl``). A
    command's own defaults would overwrite values parsed before it, so these are kept as
    ``global_<dest>`` (absent unless given) and handed over by :func:`apply_global_options`.
    """
    actions = [*add_connection_options(parser), *add_output_options(parser)]
    for action in actions:
        if action.nargs != 0 and action.metavar is None:
            action.metavar = action.dest.upper()
        action.dest = _GLOBAL_PREFIX + action.dest
        action.default = argparse.SUPPRESS
    return actions


def global_options_taking_values() -> frozenset[str]:
    """The global options that take a value (``--url HOST``), to find the command word."""
    actions = add_global_options(argparse.ArgumentParser(add_help=False))
    return frozenset(o for action in actions if action.nargs != 0 for o in action.option_strings)


def apply_global_options(args: argparse.Namespace) -> None:
    """Give the command the global options written before it; ones written after it win.

    Raises:
        UsageError: the command does not take one of them (``--sandbox init``).
    """
    from scale_pilot_nb.cli.exits import UsageError

    for key, value in list(vars(args).items()):
        if not key.startswith(_GLOBAL_PREFIX):
            continue
        delattr(args, key)
        dest = key.removeprefix(_GLOBAL_PREFIX)
        if not hasattr(args, dest):  # every global option is named --<dest with dashes>
            option = "--" + dest.replace("_", "-")
            raise UsageError(f"{args.command} does not take {option}")
        if getattr(args, dest) in (None, False):
            setattr(args, dest, value)


def add_output_options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """``--json`` and ``--debug``."""
    group = parser.add_argument_group("output")
    return [
        group.add_argument(
            "--json",
            action="store_true",
            help="print one JSON document ({'version': 1, ...}) on stdout instead of tables",
        ),
        group.add_argument("--debug", action="store_true", help="show tracebacks of errors"),
    ]


def add_wait_options(parser: argparse.ArgumentParser, wanted: str = "RUNNING (healthy)") -> None:
    """``--wait/--no-wait`` and ``--timeout``: the one wait model of every change."""
    from scale_pilot_nb.manager.waiting import DEFAULT_TIMEOUT

    group = parser.add_argument_group("waiting")
    group.add_argument(
        "--wait",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=f"wait until the app is {wanted}, like `docker compose up --wait` "
        "(default: wait; --no-wait returns when the TrueNAS job ends)",
    )
    group.add_argument(
        "--timeout",
        type=timeout_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"time for the job and the wait together (default {DEFAULT_TIMEOUT:g}; 0: no "
        "limit); when it runs out the job goes on on the NAS and the command fails",
    )


def add_yes_option(parser: argparse.ArgumentParser) -> None:
    """``--yes``: go on without asking (the way for scripts, which have no terminal)."""
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")


def timeout_seconds(text: str) -> float | None:
    """A ``--timeout`` value: seconds (> 0), or 0 / ``none`` for no limit."""
    if text.strip().lower() in ("0", "none"):
        return None
    return positive_seconds(text)


def positive_seconds(text: str) -> float:
    """A number of seconds above 0 (``--watch-timeout``, and ``--timeout`` once 0 is ruled out)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text!r}")
    return value


def add_address_options(group: argparse._ArgumentGroup) -> list[argparse.Action]:
    """``--url``, ``--profile`` and ``--api-key-file`` (shared by ``init``)."""
    return [
        group.add_argument("--url", help="NAS address: host, host:port or a ws(s):// URL"),
        group.add_argument("--profile", help="profile in the config file (default: 'default')"),
        group.add_argument(
            "--api-key-file",
            metavar="FILE",
            help="read the API key from FILE (never pass a key as an argument)",
        ),
    ]


def add_connection_options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """Every way to say which NAS to talk to and how to log in."""
    group = parser.add_argument_group(
        "connection",
        "Defaults: TRUENAS_URL, TRUENAS_API_KEY(_FILE), TRUENAS_USERNAME + TRUENAS_PASSWORD,\n"
        "then the profile in ~/.config/scale-pilot/config.toml, then ./.env.",
    )
    return [
        *add_address_options(group),
        group.add_argument("--username", help="log in as this user (with --password-file)"),
        group.add_argument("--password-file", metavar="FILE", help="read the password from FILE"),
        group.add_argument(
            "--insecure", action="store_true", help="do not verify the NAS's TLS certificate"
        ),
        group.add_argument(
            "--sandbox",
            action="store_true",
            help="run against a fresh embedded sandbox NAS (demo apps) instead",
        ),
    ]
