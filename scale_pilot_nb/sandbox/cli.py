"""``scale-compose sandbox``: run the embedded TrueNAS simulator until Ctrl-C.

Prints what a client needs (URL, username, API key) and binds to loopback unless ``--host``
says otherwise: the sandbox accepts its generated key from anyone who can reach the port.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from typing import Any, TextIO

from scale_pilot_nb.sandbox.contract import VERSIONS
from scale_pilot_nb.sandbox.embedded import Sandbox, parse_seed
from scale_pilot_nb.sandbox.tls import CertificateError

#: Seconds between checks for Ctrl-C while the sandbox runs.
WAIT_SLICE = 0.5
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``sandbox`` sub-command on ``subparsers`` (sets ``run`` as its handler)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sandbox",
        help="run the embedded TrueNAS sandbox until Ctrl-C",
        description="Run an embedded TrueNAS middleware simulator on a local port.",
        epilog="Example: scale-compose sandbox --version 25.04 --seed 100 --port 8765",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: a free one)")
    parser.add_argument(
        "--version",
        choices=VERSIONS,
        default="25.10",
        dest="nas_version",
        help="TrueNAS release to emulate (default: 25.10)",
    )
    parser.add_argument(
        "--seed",
        default="demo",
        help="'demo', 'empty' or a number of generated apps (default: demo)",
    )
    parser.add_argument(
        "--state",
        metavar="FILE",
        default=None,
        help="load the NAS state from FILE and save it back (atomically)",
    )
    parser.add_argument(
        "--tls", action="store_true", help="serve wss:// with a generated self-signed certificate"
    )
    parser.add_argument(
        "--print-env",
        action="store_true",
        help="print the shell export lines that point scale-compose and the SDK at it",
    )
    parser.set_defaults(run=run)
    return parser


def run(
    args: argparse.Namespace,
    *,
    stop: threading.Event | None = None,
    out: TextIO | None = None,
) -> int:
    """Start the sandbox from parsed ``args``, print its details and wait.

    Args:
        args: the parsed command line.
        stop: ends the run when set (tests); otherwise it runs until Ctrl-C.
        out: where to print (default stdout); errors go to stderr.

    Returns:
        0 after Ctrl-C, SIGTERM or ``stop``; 1 if the sandbox could not start;
        2 for a bad ``--seed``.
    """
    out = out or sys.stdout
    try:
        seed = parse_seed(args.seed)
    except ValueError as exc:
        print(f"scale-compose sandbox: {exc}", file=sys.stderr)
        return EXIT_USAGE
    sandbox = Sandbox(
        args.nas_version, seed, host=args.host, port=args.port, state_file=args.state, tls=args.tls
    )
    try:
        sandbox.start()
    except (OSError, ValueError, CertificateError) as exc:
        print(f"scale-compose sandbox: cannot start: {exc}", file=sys.stderr)
        return EXIT_ERROR
    stop = stop or threading.Event()
    previous = _stop_on_sigterm(stop)
    try:
        (_print_env if args.print_env else _print_details)(sandbox, out)
        while not stop.wait(WAIT_SLICE):
            pass
    except KeyboardInterrupt:
        print("stopping", file=out)
    finally:
        sandbox.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return EXIT_OK


def _stop_on_sigterm(stop: threading.Event) -> Any:
    """Let ``kill``/service managers stop the sandbox cleanly (state saved) like Ctrl-C does.

    Returns the previous handler, or ``None`` off the main thread (where signals cannot be set).
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())


def _print_env(sandbox: Sandbox, out: TextIO) -> None:
    """``export`` lines for ``eval "$(scale-compose sandbox --print-env &)"``-style set-ups.

    ``SCALE_PILOT_TARGET`` is left out: notebooks move onto a NAS only when asked, and saying
    so is the user's line to write.
    """
    url = sandbox.legacy_url if sandbox.version == "24.10" else sandbox.url
    lines = {
        "TRUENAS_URL": url,
        "TRUENAS_USERNAME": sandbox.username,
        "TRUENAS_API_KEY": sandbox.api_key,
    }
    if sandbox.ca_file is not None:
        lines["TRUENAS_CA_FILE"] = str(sandbox.ca_file)
    for name, value in lines.items():
        print(f"export {name}={shlex.quote(value)}", file=out)
    print("# notebooks: export SCALE_PILOT_TARGET=nas to run them on this sandbox", file=out)
    print("# Ctrl-C (in the sandbox's terminal) stops it", file=out, flush=True)


def _print_details(sandbox: Sandbox, out: TextIO) -> None:
    if sandbox.version == "24.10":
        print(
            f"url:        {sandbox.legacy_url}   (24.10 speaks only the legacy protocol)", file=out
        )
    else:
        print(f"url:        {sandbox.url}", file=out)
        print(f"legacy url: {sandbox.legacy_url}", file=out)
    print(f"version:    {sandbox.version}   seed: {sandbox.seed}", file=out)
    print(f"username:   {sandbox.username}", file=out)
    print(f"api key:    {sandbox.api_key}", file=out)
    if sandbox.ca_file is not None:
        print(f"ca file:    {sandbox.ca_file}", file=out)
    if sandbox.state_file is not None:
        print(f"state file: {sandbox.state_file}", file=out)
    print("Press Ctrl-C to stop.", file=out, flush=True)
