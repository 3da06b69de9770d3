"""``scale-compose``: the command-line face of scale-pilot-nb.

Start-up must stay fast: this module imports only the standard library at import time; each
command imports what it needs when it runs (pandas and ipywidgets are never needed for
``--help``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from scale_pilot_nb import __version__


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every sub-command registered."""
    from scale_pilot_nb.sandbox import cli as sandbox_cli

    parser = argparse.ArgumentParser(
        prog="scale-compose",
        description="Manage TrueNAS SCALE Docker Compose apps.",
        epilog="Example: scale-compose sandbox --version 25.10 --seed demo",
    )
    parser.add_argument("--version", action="version", version=f"scale-compose {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    sandbox_cli.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``scale-compose`` with ``argv`` and return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
