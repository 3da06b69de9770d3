"""The package's public names resolve, and every exported exception is a TrueNASError."""

from __future__ import annotations

import subprocess
import sys

import scale_pilot_nb as sp


def test_every_public_name_resolves() -> None:
    missing = [name for name in sp.__all__ if not hasattr(sp, name)]
    assert missing == []


def test_every_exported_exception_derives_from_truenas_error() -> None:
    exceptions = [
        getattr(sp, name)
        for name in sp.__all__
        if isinstance(getattr(sp, name), type) and issubclass(getattr(sp, name), BaseException)
    ]
    assert len(exceptions) > 20
    outside = [e.__name__ for e in exceptions if not issubclass(e, sp.TrueNASError)]
    # the one exception outside the tree is Ctrl-C's: it must stay a KeyboardInterrupt
    assert outside == ["OperationInterrupted"]
    assert issubclass(sp.OperationInterrupted, KeyboardInterrupt)


def test_import_stays_light() -> None:
    code = (
        "import sys, scale_pilot_nb; "
        "print(sorted(m for m in ('pandas', 'ipywidgets', 'websockets') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
