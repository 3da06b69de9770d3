"""compose.scalars: the casts compose applies to interpolated text."""

from __future__ import annotations

import pytest

from scale_pilot_nb.compose.scalars import scalar_text, to_bool, to_bytes, to_float, to_int
from scale_pilot_nb.errors import ComposeError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1024, 1024),
        ("100", 100),
        ("100b", 100),
        ("1k", 1024),
        ("512m", 512 * 1024**2),
        ("1.5g", int(1.5 * 1024**3)),
        ("2GiB", 2 * 1024**3),
        ("1 GB", 1024**3),
        ("1t", 1024**4),
    ],
)
def test_sizes_use_units_of_1024(value: object, expected: int) -> None:
    assert to_bytes(value, "mem_limit") == expected


@pytest.mark.parametrize("value", ["lots", "-1m", "1x", True])
def test_bad_sizes_name_the_field(value: object) -> None:
    with pytest.raises(ComposeError, match="'shm_size' must be a size"):
        to_bytes(value, "shm_size")


def test_booleans_numbers_and_text() -> None:
    assert (to_bool("Yes", "f"), to_bool("off", "f"), to_bool(True, "f")) == (True, False, True)
    assert (to_int("-3", "n"), to_float("0.25", "c"), to_float(2, "c")) == (-3, 0.25, 2.0)
    assert (scalar_text(True), scalar_text(8), scalar_text("x")) == ("true", "8", "x")
    with pytest.raises(ComposeError, match="'n' must be a whole number"):
        to_int("1.5", "n")
    with pytest.raises(ComposeError, match="'c' must be a number"):
        to_float("half", "c")


@pytest.mark.parametrize("value", [float("inf"), float("nan"), "-inf", "NaN", -1, "-0.5"])
def test_numbers_must_be_finite_and_not_negative(value: object) -> None:
    """``cpus: .inf`` once passed validation and crashed the ix-app conversion."""
    with pytest.raises(ComposeError, match="'cpus' must be a number of 0 or more"):
        to_float(value, "cpus")
