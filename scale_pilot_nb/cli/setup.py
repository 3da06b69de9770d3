"""``init``: write a connection profile (URL + API key) to the config file, mode 0600.

The key is asked for without echo (:func:`getpass.getpass`) or read from ``--api-key-file``;
it is never printed and never taken as a plain argument.
"""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.cli.exits import ExitStatus, UsageError
from scale_pilot_nb.cli.output import is_terminal
from scale_pilot_nb.cli.parsing import add_address_options, add_command, add_output_options
from scale_pilot_nb.cli.prompts import read_secret_file

if TYPE_CHECKING:
    from scale_pilot_nb.cli.session import Session

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add ``init`` to ``commands``."""
    parser = add_command(
        commands,
        "init",
        init_profile,
        summary="save the NAS address and API key as a profile (file mode 0600)",
        description=(
            "Save the NAS address and an API key as a profile in "
            "~/.config/scale-pilot/config.toml (readable only by you). Asks for what is not "
            "given; the key is read without echo."
        ),
        examples=[
            "scale-compose init",
            "scale-compose init --profile lab --url nas.lab.example --api-key-file ~/key.txt",
        ],
    )
    add_address_options(parser.add_argument_group("profile"))
    add_output_options(parser)


def init_profile(session: Session) -> int:
    """Ask for (or read) URL and key, then write the profile."""
    from scale_pilot_nb.config import DEFAULT_PROFILE, write_profile

    args, out = session.args, session.out
    name = args.profile or DEFAULT_PROFILE
    url = args.url or _ask(session, "NAS address (host or URL): ", "--url")
    if args.api_key_file:
        key = read_secret_file(args.api_key_file, "API key")
    else:
        _require_terminal(session, "--api-key-file")
        key = getpass.getpass("API key (not shown): ", stream=out.stderr)
    path = write_profile(name, url, key)
    if out.json:
        out.document("init", profile=name, path=str(path))
    else:
        out.line(f"Saved profile {name!r} to {path} (mode 0600).")
    return ExitStatus.OK


def _ask(session: Session, prompt: str, option: str) -> str:
    _require_terminal(session, option)
    session.out.stderr.write(prompt)
    session.out.stderr.flush()
    answer = session.stdin.readline().strip()
    if not answer:
        raise UsageError("No answer given; nothing was saved.")
    return answer


def _require_terminal(session: Session, option: str) -> None:
    if not is_terminal(session.stdin):
        raise UsageError(
            "There is no terminal to ask on", hint=f"Pass {option} to run without asking."
        )
