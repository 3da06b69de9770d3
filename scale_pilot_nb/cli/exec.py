"""``exec APP [SERVICE] -- CMD [ARG…]``: run a command in an app's container.

Like ``docker compose exec``: the exit status is the command's, its output is streamed to
stdout as it comes (stdout and stderr merged: TrueNAS runs it on a terminal), and without a
command on a terminal it opens an interactive shell. Options go before ``APP``; everything
after ``--`` is the command, passed as an argv (each word quoted), so
``exec web -- sh -c 'echo $HOSTNAME'`` works as in a local shell.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.cli.exits import ExitStatus, UsageError
from scale_pilot_nb.cli.parsing import add_command, timeout_seconds
from scale_pilot_nb.manager.exec_script import DEFAULT_EXEC_TIMEOUT, DEFAULT_SHELL

if TYPE_CHECKING:
    from scale_pilot_nb.cli.session import Session

__all__ = ["register"]


def register(commands: Any, connected: argparse.ArgumentParser) -> None:
    """Add ``exec`` to ``commands``."""
    parser = add_command(
        commands,
        "exec",
        run_exec,
        summary="run a command in an app's container (exit status = the command's)",
        description="Run a command in a running container of an app, through the NAS's web "
        "shell (the\nuser needs the web_shell privilege; TrueNAS 24.10 allows it only with a "
        "username and\npassword login). Options go before APP; the command follows --. stdout "
        "and stderr\narrive merged. Without a command, on a terminal, it opens an interactive "
        "shell.",
        examples=[
            "scale-compose exec my-nginx -- nginx -v",
            "scale-compose exec photos database -- printenv POSTGRES_USER",
            "scale-compose exec my-nginx -- sh -c 'ls /etc/nginx && cat /etc/hostname'",
            "scale-compose exec -i my-nginx          (interactive /bin/sh)",
        ],
        parents=[connected],
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "-i",
        "--interactive",
        action="store_true",
        help="attach stdin to a shell (default when stdin is a terminal and no command is given)",
    )
    mode.add_argument(
        "-T",
        "--no-tty",
        action="store_true",
        help="never go interactive: run the command and report its exit status (the default "
        "with a command)",
    )
    parser.add_argument(
        "--timeout",
        type=timeout_seconds,
        default=None,
        metavar="SECONDS",
        help="limit for a command, connecting included; when it runs out the session closes "
        "and the NAS kills the command (default: no limit, as with docker compose exec; 0: "
        f"no limit; pilot.exec() defaults to {DEFAULT_EXEC_TIMEOUT:g})",
    )
    parser.add_argument(
        "--shell",
        default=DEFAULT_SHELL,
        metavar="PATH",
        help=f"program an interactive session runs (default {DEFAULT_SHELL})",
    )
    parser.add_argument("words", nargs=argparse.REMAINDER, metavar="APP [SERVICE] -- CMD [ARG ...]")


def run_exec(session: Session) -> int:
    """Run the command (or the interactive shell) and return its exit status."""
    args = session.args
    app, service, command = _split(args.words)
    interactive = args.interactive or (
        not command and not args.no_tty and session.stdin.isatty() and not args.json
    )
    if interactive:
        if command:
            raise UsageError("--interactive runs --shell; give no command after --")
        from scale_pilot_nb.cli.terminal import attach

        return attach(session.pilot, app, service, command=args.shell, stdin=session.stdin)
    if not command:
        raise UsageError(
            "No command to run",
            hint="Give one after --: `scale-compose exec APP -- CMD`; on a terminal, leave it "
            "out (or pass -i) for an interactive shell.",
        )
    stdout = session.out.stdout
    live = None if args.json else _writer(stdout)
    result = session.pilot.exec(app, command, service, timeout=args.timeout, on_output=live)
    if args.json:
        session.out.document("exec", result=result.to_dict())
    if result.exit_code is None:
        session.out.note("the command ended its shell before reporting an exit status")
        return ExitStatus.ERROR
    return result.exit_code


def _split(words: list[str]) -> tuple[str, str | None, list[str]]:
    """``APP [SERVICE] [-- CMD …]`` → (app, service, command)."""
    if "--" in words:
        cut = words.index("--")
        head, command = words[:cut], words[cut + 1 :]
    else:
        head, command = words, []
    options = [w for w in head if w.startswith("-")]
    if options:
        raise UsageError(
            f"exec options go before APP: {' '.join(options)}",
            hint="e.g. `scale-compose exec --timeout 10 APP -- CMD`.",
        )
    if not head:
        raise UsageError("exec needs an APP", hint="`scale-compose exec APP [SERVICE] -- CMD`.")
    if len(head) > 2:
        raise UsageError(
            f"Too many words before the command: {' '.join(head)}",
            hint="Put the command after --: `scale-compose exec APP [SERVICE] -- CMD [ARG ...]`.",
        )
    return head[0], head[1] if len(head) == 2 else None, command


def _writer(stream: Any) -> Any:
    def write(text: str) -> None:
        stream.write(text)
        stream.flush()

    return write
