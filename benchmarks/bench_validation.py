"""4. Validation: corpus files per second, and the worst case on hostile input.

Every corpus file (``tests/compose_corpus``, good and bad, with the options pinned in
``expected.yaml``) goes through ``validate()``; the baseline is a libyaml safe ``yaml.load``
of the same files, the parse alone a hand-written checker starts from. Hostile files (the
YAML bombs, deep nesting, generated files just under and just over the 1 MiB limit) are timed
one by one with ``tracemalloc`` tracking peak memory.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from benchmarks._harness import Row, timed
from scale_pilot_nb.compose.validate import validate

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "compose_corpus"
REAL = CORPUS.parent / "conformance" / "corpus"
"""The conformance corpus: real compose files by others (awesome-compose, compose-go)."""
HOSTILE = ("bad/yaml-bomb.yml", "bad/yaml-bomb-merge.yml", "bad/deep-nesting.yml")
OPTION_KEYS = {"name", "mode", "split", "used_ports", "variables", "allow_docker_socket"}


def _corpus() -> list[tuple[Path, dict[str, Any]]]:
    expected = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
    return [
        (CORPUS / key, {k: v for k, v in pinned.items() if k in OPTION_KEYS})
        for key, pinned in sorted(expected.items())
    ]


#: The fastest safe parser PyYAML has here (libyaml when compiled in).
FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _safe_load(path: Path) -> object:
    try:
        return yaml.load(path.read_bytes(), Loader=FAST_LOADER)
    except yaml.YAMLError:
        return None


def _big_file(directory: Path, services: int) -> Path:
    """A compose file of ``services`` services with padded environments (~256 B each)."""
    lines = ["services:"] + [
        f"  svc{i}:\n    image: nginx:1.27\n    environment:\n      PAD: {'x' * 200}"
        for i in range(services)
    ]
    path = directory / f"{services}-services.yml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _worst(work: Callable[[], object]) -> tuple[float, int]:
    """(seconds of the first call, peak traced bytes of a second one).

    Timed untraced (tracemalloc slows allocation-heavy code several times over) and first, so
    one-time costs such as compiling the schema for a big document count in the time.
    """
    start = time.perf_counter()
    work()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    try:
        work()
        return seconds, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _real_files() -> list[tuple[Path, dict[str, Any]]]:
    sources = yaml.safe_load((REAL / "SOURCES.yaml").read_text(encoding="utf-8"))["cases"]
    return [(REAL / case / entry["file"], {}) for case, entry in sorted(sources.items())]


def run(rounds: int = 3) -> list[Row]:
    rows = [
        _throughput(_corpus(), f"corpus, {len(_corpus())} files (good + bad)", rounds),
        _throughput(_real_files(), f"real files, {len(_real_files())} (conformance)", rounds),
    ]
    rows.extend(_hostile())
    return rows


def _throughput(corpus: list[tuple[Path, dict[str, Any]]], label: str, rounds: int) -> Row:

    def sdk() -> None:
        for path, options in corpus:
            validate(path, **options)

    def baseline() -> None:
        for path, _ in corpus:
            _safe_load(path)

    sdk_times, base_times = [], []
    for _ in range(rounds):
        sdk_times.append(timed(sdk))
        base_times.append(timed(baseline))
    sdk_rate = len(corpus) / statistics.median(sdk_times)
    base_rate = len(corpus) / statistics.median(base_times)
    return Row(
        "4 validation",
        label,
        f"validate() {sdk_rate:.0f} files/s",
        f"yaml.load(CSafeLoader) {base_rate:.0f} files/s",
        f"validate costs {base_rate / sdk_rate:.1f}x a bare parse",
    )


def _hostile() -> list[Row]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        # Just under the 1 MiB limit (parsed and checked in full), and just over it (refused).
        big = [_big_file(Path(tmp), services) for services in (3900, 5000)]
        hostile = [CORPUS / name for name in HOSTILE] + big
        for path in hostile:
            seconds, peak = _worst(partial(validate, path))
            base_seconds, base_peak = _worst(partial(_safe_load, path))
            size = path.stat().st_size
            rows.append(
                Row(
                    "4 validation",
                    f"hostile: {path.name} ({size / 1024:.0f} KiB)",
                    f"{seconds * 1000:.0f} ms, peak {peak / 2**20:.1f} MiB",
                    f"yaml.load(CSafeLoader) {base_seconds * 1000:.0f} ms, "
                    f"peak {base_peak / 2**20:.1f} MiB",
                    f"{len(validate(path).errors)} error finding(s), no crash",
                )
            )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row.markdown())
