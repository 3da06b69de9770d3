"""What the CLI asks of the user: a typed confirmation, a y/N answer, a secret from a file.

Kept apart from :mod:`.session` (which holds the connection) so that the commands that ask can
import these at start-up without importing the wire: ``scale-compose --help`` stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from scale_pilot_nb.cli.exits import UsageError
from scale_pilot_nb.cli.output import is_terminal
from scale_pilot_nb.errors import ConfigError

if TYPE_CHECKING:
    from scale_pilot_nb.cli.session import Session

__all__ = ["MAX_SECRET_FILE_BYTES", "confirm_by_name", "confirm_yes", "read_secret_file"]

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
