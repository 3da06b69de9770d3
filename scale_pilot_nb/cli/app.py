"""``main``: parse the command line, run one command, map every error to one exit status.

This is the only place that catches exceptions (STYLE.md house rule 11): library errors
become one line plus a hint on stderr (and ``{"version": 1, "error": ...}`` on stdout with
``--json``), Ctrl-C becomes 130 (saying what became of the jobs it cut short, if any), a
closed stdout (``| head``) ends quietly, and anything unexpected becomes exit status 1 with a
traceback only under ``--debug``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any, TextIO

from scale_pilot_nb import __version__
from scale_pilot_nb.cli import (
    backups,
    deploying,
    describe,
    doctor,
    inventory,
    jobs,
    lifecycle,
    revisions,
    setup,
    sync,
)
from scale_pilot_nb.cli import exec as container_exec
from scale_pilot_nb.cli.exits import ExitStatus, UsageError, describe_statuses, exit_status_for
from scale_pilot_nb.cli.output import Output
from scale_pilot_nb.cli.parsing import (
    add_global_options,
    apply_global_options,
    connected_parent,
    global_options_taking_values,
)
from scale_pilot_nb.errors import OperationInterrupted, TrueNASError

__all__ = ["build_parser", "main"]

_EXAMPLES = """\
examples:
  scale-compose list
  scale-compose deploy nginx.yml my-nginx
  scale-compose start my-nginx
  scale-compose stop my-nginx
  scale-compose exec my-nginx -- nginx -v   (exit status = the command's)
  scale-compose list --sandbox          (try it on an embedded demo NAS)
  scale-compose --json --profile lab ps (connection and output options go before or after)
  scale-compose doctor --write          (prove a NAS: check it, then a throwaway app)
"""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``scale-compose`` parser with every command registered.

    Args:
        command: the command about to run; the sandbox's own parser (which imports the
            sandbox server) is only built when it is ``"sandbox"``, keeping ``--help`` fast.
    """
    parser = argparse.ArgumentParser(
        prog="scale-compose",
        description="Manage TrueNAS SCALE Docker Compose apps.",
        epilog=f"{_EXAMPLES}\n{describe_statuses()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"scale-compose {__version__}")
    add_global_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    connected = connected_parent()
    inventory.register(commands, connected)
    describe.register(commands, connected)
    deploying.register(commands, connected)
    sync.register(commands, connected)
    lifecycle.register(commands, connected)
    container_exec.register(commands, connected)
    jobs.register(commands, connected)
    revisions.register(commands, connected)
    backups.register(commands, connected)
    doctor.register(commands, connected)
    setup.register(commands)
    if command == "sandbox":
        from scale_pilot_nb.sandbox import cli as sandbox_cli

        sandbox_cli.add_parser(commands)
    else:  # a stand-in for the command list; its help text mirrors sandbox.cli's
        commands.add_parser("sandbox", help="run the embedded TrueNAS sandbox until Ctrl-C")
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    """Run ``scale-compose`` with ``argv`` (default ``sys.argv[1:]``); return the exit status.

    Args:
        argv: the arguments after the program name.
        stdout: where data goes (default ``sys.stdout``).
        stderr: where progress, prompts and errors go (default ``sys.stderr``).
        stdin: where confirmations are read from (default ``sys.stdin``).
    """
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    stdin = stdin or sys.stdin
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_of(arguments))
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            args = parser.parse_args(arguments)
    except SystemExit as exit_:  # --help, --version and usage errors
        if exit_.code and "--detailed-exitcode" in arguments:
            return ExitStatus.ERROR  # exit 2 means "changes" there
        return exit_.code if isinstance(exit_.code, int) else ExitStatus.USAGE
    if args.command is None:
        parser.print_usage(stderr)
        stderr.write("scale-compose: error: a command is required (see scale-compose --help)\n")
        return ExitStatus.USAGE
    try:
        apply_global_options(args)  # `scale-compose --json list` = `scale-compose list --json`
    except UsageError as exc:
        parser.print_usage(stderr)
        stderr.write(f"scale-compose: error: {exc}\n")
        return ExitStatus.USAGE
    out = Output.for_streams(stdout, stderr, json=getattr(args, "json", False))
    with contextlib.redirect_stdout(stdout):
        return int(_run(args, out, stdin))


def _command_of(arguments: Sequence[str]) -> str | None:
    """The command word: the first argument that is neither an option nor an option's value."""
    taking_values = global_options_taking_values()
    words = iter(arguments)
    for word in words:
        if word in taking_values:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _run(args: argparse.Namespace, out: Output, stdin: TextIO) -> int:
    """Run the command; the one place that turns exceptions into exit statuses.

    A command returns an :class:`ExitStatus`, except ``exec``, whose status is its remote
    command's (any number, as with ``docker compose exec``).
    """
    debug = getattr(args, "debug", False)
    try:
        handler = getattr(args, "handler", None)
        if handler is None:  # `sandbox` brings its own runner
            return ExitStatus(args.run(args))
        from scale_pilot_nb.cli.session import Session  # the wire, only once a command runs

        with Session(args, out, stdin) as session:
            return int(handler(session))
    except BrokenPipeError:
        _silence(out.stdout)
        return ExitStatus.OK
    except OperationInterrupted as interrupted:  # says what became of the jobs it cut short
        out.failure(interrupted.to_dict(), str(interrupted))
        return ExitStatus.INTERRUPTED
    except KeyboardInterrupt:
        out.note("interrupted")
        return ExitStatus.INTERRUPTED
    except TrueNASError as exc:
        if debug:
            traceback.print_exc(file=out.stderr)
        out.failure(exc.to_dict(), f"scale-compose: error: {exc}")
        if getattr(args, "detailed_exitcode", False):  # Terraform's: every error is 1
            return ExitStatus.ERROR
        return exit_status_for(exc)
    except Exception as exc:
        if debug:
            traceback.print_exc(file=out.stderr)
        internal = TrueNASError(
            f"internal error: {type(exc).__name__}: {exc}",
            hint="Run again with --debug for the traceback, and please report it.",
        )
        out.failure(internal.to_dict(), f"scale-compose: error: {internal}")
        return ExitStatus.ERROR


def _silence(stream: Any) -> None:
    """After the reader of stdout went away: point the descriptor at /dev/null so the
    interpreter's final flush does not fail again."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
