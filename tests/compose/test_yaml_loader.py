"""compose.yaml_loader: the same limits and semantics whichever parser produces the events."""

from __future__ import annotations

import importlib

import pytest

from scale_pilot_nb.compose.load import load
from scale_pilot_nb.compose.yaml_loader import DEFAULT_LOADER, ComposeLoader, PythonLoader
from scale_pilot_nb.errors import ComposeLoadError

# The package re-exports the function `load`, which hides the module of the same name.
load_module = importlib.import_module("scale_pilot_nb.compose.load")
LOADERS = sorted({PythonLoader, DEFAULT_LOADER}, key=lambda cls: cls.__name__)


@pytest.fixture(params=LOADERS, ids=lambda cls: cls.__name__)
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> type[ComposeLoader]:
    cls: type[ComposeLoader] = request.param
    monkeypatch.setattr(load_module, "DEFAULT_LOADER", cls)
    return cls


def _error(text: str, **limits: int) -> ComposeLoadError:
    with pytest.raises(ComposeLoadError) as caught:
        load(text, **limits)
    return caught.value


def test_the_default_loader_is_one_of_ours() -> None:
    assert issubclass(DEFAULT_LOADER, ComposeLoader)


def test_documents_mean_the_same_to_every_loader(loader: type[ComposeLoader]) -> None:
    text = (
        "x: &x {image: nginx, ports: [22:22]}\n"
        "services:\n  web:\n    <<: *x\n    restart: 'no'\n    tty: yes\n    n: 0o17\n"
    )
    assert load(text).data["services"]["web"] == {
        "image": "nginx",
        "ports": ["22:22"],
        "restart": "no",
        "tty": "yes",
        "n": 15,
    }


def test_an_alias_bomb_fails_at_the_alias_that_crosses_the_limit(
    loader: type[ComposeLoader],
) -> None:
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a]\nc: [*b, *b]\n"
    error = _error(text, max_nodes=100)
    assert "expands to more than 100 values" in error.message
    assert (error.line, error.key) == (3, "c")


def test_an_alias_inside_its_own_anchor_is_refused(loader: type[ComposeLoader]) -> None:
    assert "refers to its own ancestor" in _error("a: &a {b: *a}\n").message


def test_nesting_through_aliases_counts_toward_the_depth(loader: type[ComposeLoader]) -> None:
    text = "a: &a [[[x]]]\nb: [[*a]]\n"
    assert load(text, max_depth=7).data["b"] == [[[[["x"]]]]]  # root, b, [ ], a, [ ], [ ], x
    assert "nests deeper than 6 levels" in _error(text, max_depth=6).message


def test_duplicate_keys_and_tabs_are_reported_alike(loader: type[ComposeLoader]) -> None:
    duplicate = _error("a: 1\nb: 2\na: 3\n")
    assert (duplicate.line, duplicate.column, duplicate.key) == (3, 1, "a")
    tab = _error("a:\n\tb: 1\n")
    assert (tab.line, tab.hint) == (2, "YAML indentation must use spaces, not tabs.")


def test_control_characters_are_located_exactly(loader: type[ComposeLoader]) -> None:
    error = _error("a: é\nb: x\x01\n")
    assert (error.line, error.column) == (2, 5)


def test_undefined_aliases_are_errors(loader: type[ComposeLoader]) -> None:
    error = _error("a: *nowhere\n")
    assert error.line == 1
    assert "nowhere" in error.message


def test_numbers_python_cannot_build_are_load_errors_not_crashes(
    loader: type[ComposeLoader],
) -> None:
    huge = _error("ports:\n  - " + "9" * 5000 + "\n")
    assert (huge.line, huge.column) == (2, 5)
    assert "cannot be read as an integer" in huge.message
    assert _error("cpus: !!float many\n").line == 1
    assert _error("image: !!int abc\n").line == 1


def test_scalars_yaml_1_1_reads_otherwise_are_flagged_alike(loader: type[ComposeLoader]) -> None:
    text = (
        "x: &x [yes, 0755, 'on', !!str off, \"22:22\"]\n"
        "services:\n  web:\n    command: *x\n    user: ! '1e3'\n    tty: |\n      yes\n"
    )
    loaded = load(text)
    assert [(s.text, s.key, s.uses, s.position) for s in loaded.yaml11] == [
        ("yes", False, (("x", 0), ("services", "web", "command", 0)), (1, 8)),
        ("0755", False, (("x", 1), ("services", "web", "command", 1)), (1, 13)),
        ("1e3", False, (("services", "web", "user"),), (5, 11)),  # the bare `!` still resolves
    ]
    assert loaded.data["services"]["web"]["user"] == 1000.0
