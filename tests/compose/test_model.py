"""compose.model: path formatting, positions, and reprs that never show values."""

from __future__ import annotations

from scale_pilot_nb.compose.model import (
    InterpolationResult,
    Issue,
    LoadedCompose,
    MissingVariable,
    Normalised,
    UnsetVariable,
    format_path,
)


def test_format_path_uses_dots_indexes_and_quotes_dotted_keys() -> None:
    assert format_path(("services", "web", "ports", 0)) == "services.web.ports[0]"
    assert format_path(("services", "web", "labels", "traefik.enable")) == (
        'services.web.labels["traefik.enable"]'
    )
    assert format_path(()) == ""


def test_position_falls_back_to_the_nearest_ancestor() -> None:
    loaded = LoadedCompose(data={}, source_map={(): (1, 1), ("services",): (2, 1)})
    assert loaded.position(("services", "web", "image")) == (2, 1)
    assert LoadedCompose(data={}).position(("services",)) is None


def test_interpolation_result_repr_shows_names_never_data() -> None:
    result = InterpolationResult(
        data={"services": {"db": {"environment": {"PASSWORD": "hunter2"}}}},
        unset=(UnsetVariable("A", ()),),
        missing=(MissingVariable("B", "set B", ()),),
        issues=(Issue(("x",), "bad"),),
    )
    assert repr(result) == "InterpolationResult(unset=['A'], missing=['B'], issues=1)"
    assert not result.ok
    assert str(result.issues[0]) == "x: bad"


def test_documents_never_show_their_data_in_repr() -> None:
    data = {"services": {"db": {"environment": {"PASSWORD": "hunter2"}}}}
    assert "hunter2" not in repr(LoadedCompose(data=data))
    assert "hunter2" not in repr(Normalised(data=data))
