"""The context of one command run: arguments, output, stdin and a lazily connected Pilot.

Secrets are read from the files named by ``--api-key-file`` / ``--password-file`` here, at
the moment of connecting, and handed straight to :func:`~scale_pilot_nb.pilot.pilot.connect`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from scale_pilot_nb.cli.exits import UsageError
from scale_pilot_nb.cli.output import Output, is_terminal
from scale_pilot_nb.errors import ConfigError
from scale_pilot_nb.rpc.lifetime import ClosedOnExit

if TYPE_CHECKING:
    from scale_pilot_nb.pilot.pilot import Pilot

__all__ = ["Session", "confirm_by_name", "confirm_yes", "read_secret_file"]

#: A key or password file larger than this is certainly the wrong file.
MAX_SECRET_FILE_BYTES = 64 * 1024


def read_secret_file(path: str, what: str) -> str:
    """The stripped content of a key or password file.

    Raises:
        ConfigError: the file cannot be read, is empty or is implausibly large.
    """
    file = Path(path).expanduser()
    try:
        if file.stat().st_size > MAX_SECRET_FILE_BYTES:
            raise ConfigError(f"The {what} file {path} is too large to hold a {what}.")
        value = file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(
            f"Cannot read the {what} file {path}: {exc.strerror}",
            hint="Check the path and its permissions.",
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"The {what} file {path} is not UTF-8 text.") from exc
    if not value:
        raise ConfigError(f"The {what} file {path} is empty.")
    return value


class Session(ClosedOnExit):
    """One command run: its arguments, output, stdin and (on first use) a connected Pilot.

    Args:
        args: the parsed command line.
        out: where to write.
        stdin: where to read confirmations from.
    """

    def __init__(self, args: argparse.Namespace, out: Output, stdin: TextIO) -> None:
        self.args = args
        self.out = out
        self.stdin = stdin
        self._pilot: Pilot | None = None

    @property
    def pilot(self) -> Pilot:
        """The connected :class:`Pilot` (connects on first use).

        Raises:
            ConfigError / ConnectionError / AuthenticationError: see :func:`connect`.
        """
        if self._pilot is None:
            from scale_pilot_nb.pilot.pilot import connect

            args = self.args
            if args.sandbox:
                self._pilot = connect(sandbox=True)
            else:
                self._pilot = connect(
                    args.url,
                    read_secret_file(args.api_key_file, "API key") if args.api_key_file else None,
                    username=args.username,
                    password=(
                        read_secret_file(args.password_file, "password")
                        if args.password_file
                        else None
                    ),
                    verify_ssl=False if args.insecure else None,
                    profile=args.profile,
                )
            if self._pilot.manager.recorder is not None:
                self._pilot.manager.recorder.tool = "cli"  # revisions say the CLI made them
        return self._pilot

    def close(self) -> None:
        """Disconnect (and stop an embedded sandbox); idempotent."""
        if self._pilot is not None:
            pilot, self._pilot = self._pilot, None
            pilot.close()


def confirm_by_name(session: Session, name: str, *, doing: str, prompt: str) -> None:
    """Make the user type ``name`` on the terminal before a destructive command goes on.

    Args:
        name: what must be typed (the app or backup name).
        doing: the action in words, for the errors ("delete", "restore").
        prompt: the question written to stderr; ``{name}`` in it is replaced by ``name``.

    Raises:
        UsageError: there is no terminal to ask on (``--yes`` is the way for scripts), or the
            answer was not ``name``.
    """
    if _answer(session, name, doing, prompt.format(name=name) + ": ") != name:
        raise UsageError(f"Confirmation did not match; did not {doing} {name!r}")


def confirm_yes(session: Session, name: str, *, doing: str, question: str) -> None:
    """Ask a y/N question on the terminal before a command recreates running containers.

    Args:
        name: the app, for the errors.
        doing: the action in words, for the errors ("deploy", "upgrade", "roll back").
        question: written to stderr, followed by `` [y/N]: ``.

    Raises:
        UsageError: there is no terminal to ask on (``--yes`` is the way for scripts), or the
            answer was not yes.
    """
    if _answer(session, name, doing, f"{question} [y/N]: ").lower() not in ("y", "yes"):
        raise UsageError(f"Not confirmed; did not {doing} {name!r}")


def _answer(session: Session, name: str, doing: str, prompt: str) -> str:
    """The stripped line typed after ``prompt`` on the terminal.

    Raises:
        UsageError: stdin is not a terminal.
    """
    if not is_terminal(session.stdin):
        raise UsageError(
            f"Refusing to {doing} {name!r} without a confirmation: there is no terminal to ask on",
            hint=f"Pass --yes to {doing} without asking.",
        )
    session.out.stderr.write(prompt)
    session.out.stderr.flush()
    return session.stdin.readline().strip()
