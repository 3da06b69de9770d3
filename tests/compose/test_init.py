"""compose package: the public names the other layers rely on are pinned."""

from __future__ import annotations

import scale_pilot_nb.compose as compose


def test_public_names_are_pinned() -> None:
    assert sorted(compose.__all__) == [
        "AppPayload",
        "ComposeSource",
        "Conversion",
        "DeployPlan",
        "Finding",
        "ImageRef",
        "InterpolationResult",
        "Issue",
        "LoadedCompose",
        "MissingVariable",
        "Mode",
        "Normalised",
        "Plan",
        "PortMapping",
        "Position",
        "Severity",
        "SourceMap",
        "UnknownKey",
        "UnsetVariable",
        "ValidationReport",
        "VolumeMount",
        "YamlPath",
        "convert",
        "find_unknown_keys",
        "format_path",
        "interpolate",
        "load",
        "normalise",
        "normalise_lenient",
        "parse_image",
        "parse_ports",
        "parse_volume",
        "plan",
        "render",
        "validate",
    ]
    assert all(hasattr(compose, name) for name in compose.__all__)


def test_the_steps_chain_from_text_to_yaml() -> None:
    loaded = compose.load("services:\n  web:\n    image: nginx:${TAG:-1.27}\n    ports: [80]\n")
    data = compose.normalise(compose.interpolate(loaded).data)
    assert compose.load(compose.render(data)).data == data
    assert data["services"]["web"]["image"] == "nginx:1.27"
