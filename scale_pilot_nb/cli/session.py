"""The context of one command run: arguments, output, stdin and a lazily connected Pilot.

Secrets are read from the files named by ``--api-key-file`` / ``--password-file`` here, at
the moment of connecting, and handed straight to :func:`~scale_pilot_nb.pilot.pilot.connect`.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

from scale_pilot_nb.cli.output import Output
from scale_pilot_nb.cli.prompts import read_secret_file
from scale_pilot_nb.rpc.lifetime import ClosedOnExit

if TYPE_CHECKING:
    from scale_pilot_nb.pilot.pilot import Pilot

__all__ = ["Session"]


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
