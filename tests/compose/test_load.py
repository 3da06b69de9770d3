"""compose.load: safe YAML with limits, exact error positions, merge keys and a source map."""

from __future__ import annotations

from pathlib import Path

import pytest

from scale_pilot_nb.compose.load import DEFAULT_MAX_BYTES, load
from scale_pilot_nb.errors import ComposeLoadError


def _billion_laughs(levels: int = 9, width: int = 9) -> str:
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def _load_error(source: str, **limits: int) -> ComposeLoadError:
    with pytest.raises(ComposeLoadError) as caught:
        load(source, **limits)
    return caught.value


# --- sources -----------------------------------------------------------------------------------


def test_loads_a_file_and_remembers_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text("services:\n  web:\n    image: nginx:1.27\n")
    loaded = load(path)
    assert loaded.data == {"services": {"web": {"image": "nginx:1.27"}}}
    assert loaded.file == str(path)
    assert loaded.base_dir == tmp_path


def test_a_string_path_to_an_existing_file_is_read_as_a_file(tmp_path: Path) -> None:
    path = tmp_path / "stack"
    path.write_text("services: {}\n")
    assert load(str(path)).file == str(path)


def test_yaml_text_is_parsed_with_no_directory() -> None:
    loaded = load("services:\n  web:\n    image: redis\n")
    assert loaded.file == "<string>"
    assert loaded.base_dir is None


def test_a_mapping_is_used_as_is_with_an_optional_base_dir(tmp_path: Path) -> None:
    data = {"services": {"web": {"image": "redis"}}}
    loaded = load(data, base_dir=tmp_path)
    assert loaded.data is data
    assert (loaded.file, loaded.base_dir, loaded.source_map) == ("<dict>", tmp_path, {})


def test_a_self_referring_or_oversized_mapping_is_refused() -> None:
    cyclic: dict[str, object] = {"services": {}}
    cyclic["x-loop"] = cyclic
    with pytest.raises(ComposeLoadError, match="more than 64 levels"):
        load(cyclic)
    with pytest.raises(ComposeLoadError, match="more than 10 values"):
        load({"x": list(range(20))}, max_nodes=10)


def test_a_missing_yaml_file_is_reported_as_not_found() -> None:
    error = _load_error("no-such-compose.yml")
    assert error.file == "no-such-compose.yml"
    assert "file not found" in error.message


def test_a_directory_is_refused_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ComposeLoadError, match="is a directory"):
        load(tmp_path)


# --- YAML 1.2 scalars, as compose-go reads them -----------------------------------------------


def test_scalars_follow_the_yaml_1_2_core_schema() -> None:
    data = load(
        "a: yes\nb: on\nc: 22:22\nd: 0o17\ne: 017\nf: 1.5\ng: ~\nh: 2024-01-01\ni: true\nj:\n"
    ).data
    assert data == {
        "a": "yes",
        "b": "on",
        "c": "22:22",
        "d": 15,
        "e": 17,
        "f": 1.5,
        "g": None,
        "h": "2024-01-01",
        "i": True,
        "j": None,
    }


def test_keys_are_always_strings() -> None:
    data = load("environment:\n  1: a\n  true: b\n").data
    assert data == {"environment": {"1": "a", "true": "b"}}


# --- anchors, merge keys, extension fields ------------------------------------------------------


def test_merge_keys_and_anchors_work_and_extension_fields_are_kept() -> None:
    text = (
        "x-base: &base\n  image: nginx\n  restart: always\n"
        "services:\n  web:\n    <<: *base\n    restart: unless-stopped\n"
    )
    data = load(text).data
    assert data["x-base"] == {"image": "nginx", "restart": "always"}
    assert data["services"]["web"] == {"image": "nginx", "restart": "unless-stopped"}


def test_earlier_mappings_win_in_a_merge_list() -> None:
    text = "x: &x {a: 1}\ny: &y {a: 2, b: 3}\nz: {<<: [*x, *y], c: 4}\n"
    assert load(text).data["z"] == {"a": 1, "b": 3, "c": 4}


def test_merging_a_scalar_is_an_error_with_its_position() -> None:
    error = _load_error("x: &x 5\ny:\n  <<: *x\n")
    assert (error.line, error.column) == (1, 4)  # the anchored value
    assert "`<<` needs a mapping" in error.message


def test_compose_reset_and_override_tags_are_understood() -> None:
    data = load("a: !reset [1]\nb: !override {c: 1}\nd: !override '5'\n").data
    assert data == {"a": None, "b": {"c": 1}, "d": "5"}


# --- hostile and broken input --------------------------------------------------------------------


def test_billion_laughs_fails_fast_naming_the_limit_and_the_line() -> None:
    error = _load_error(_billion_laughs())
    assert "expands to more than 100000 values" in error.message
    assert error.line is not None and error.line > 1
    assert "max_nodes" in (error.hint or "")


def test_too_many_aliases_are_refused() -> None:
    text = "a: &a x\nb: [" + ", ".join(["*a"] * 20) + "]\n"
    error = _load_error(text, max_aliases=10)
    assert "more than 10 aliases" in error.message
    assert error.key == "b"


def test_a_recursive_alias_is_refused() -> None:
    error = _load_error("a: &a [1, *a]\n")
    assert "refers to its own ancestor" in error.message


def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"services: {}\n" + b"#" * DEFAULT_MAX_BYTES)
    with pytest.raises(ComposeLoadError, match="larger than the 1048576 byte limit") as caught:
        load(path)
    assert caught.value.file == str(path)


def test_text_over_the_size_limit_is_refused() -> None:
    with pytest.raises(ComposeLoadError, match="byte limit"):
        load("a: " + "x" * 200, max_bytes=100)


def test_deep_nesting_is_refused_with_the_key_it_was_under() -> None:
    error = _load_error("services:\n  web: " + "[" * 200 + "]" * 200 + "\n")
    assert "nests deeper than 64 levels" in error.message
    assert (error.file, error.line, error.key) == ("<string>", 2, "web")


def test_extreme_nesting_fails_fast_whichever_parser_sees_it_first() -> None:
    error = _load_error("services:\n  web: " + "[" * 500_000 + "]" * 500_000 + "\n")
    assert "nest" in error.message  # ours (64 levels) or libyaml's own guard (1000 levels)
    assert (error.file, error.line) == ("<string>", 2)


def test_deep_nesting_through_aliases_is_refused() -> None:
    lines = ["a0: &a0 [x]"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, 30)]
    error = _load_error("\n".join(lines), max_depth=10)
    assert "nests deeper than 10 levels" in error.message


def test_too_many_keys_are_refused() -> None:
    text = "".join(f"k{i}: {i}\n" for i in range(50))
    assert "more than 20 keys" in _load_error(text, max_keys=20).message


def test_duplicate_keys_are_an_error_naming_both_lines() -> None:
    error = _load_error("services:\n  web:\n    image: a\n    image: b\n")
    assert (error.line, error.column, error.key) == (4, 5, "image")
    assert "first defined at line 3" in error.message
    assert str(error).startswith("<string>:4:5: duplicate key 'image'")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("- a\n- b\n", "must be a mapping, not a list"),
        ("just text\n", "must be a mapping, not a scalar"),
        ("", "the document is empty"),
        ("a: 1\n---\nb: 2\n", "expected a single document"),
    ],
)
def test_a_top_level_that_is_not_one_mapping_is_refused(text: str, problem: str) -> None:
    assert problem in _load_error(text).message


def test_a_tab_in_indentation_points_at_the_tab_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text("services:\n\tweb:\n")
    with pytest.raises(ComposeLoadError) as caught:
        load(path)
    error = caught.value
    assert (error.file, error.line, error.column) == (str(path), 2, 1)
    assert "tabs" in (error.hint or "")


def test_a_syntax_error_carries_line_and_column() -> None:
    error = _load_error("services:\n  web:\n    image: a: b\n")
    assert (error.line, error.column) == (3, 13)
    assert "mapping values are not allowed" in error.message


def test_an_unclosed_flow_list_is_reported_at_the_end() -> None:
    error = _load_error("services: [\n")
    assert error.line == 2


def test_invalid_utf8_is_reported_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    path.write_bytes(b"services:\n  web: \xff\n")
    with pytest.raises(ComposeLoadError, match="not valid UTF-8") as caught:
        load(path)
    assert (caught.value.line, caught.value.column) == (2, 8)


def test_control_characters_are_reported_with_their_position() -> None:
    error = _load_error("a: ok\nb: \x07\n")
    assert (error.line, error.column) == (2, 4)
    assert "U+0007" in error.message


@pytest.mark.parametrize("tag", ["!!binary aGk=", "!!set {a}", "!!timestamp 2024-01-01", "!x 1"])
def test_non_plain_data_tags_are_refused_naming_the_key(tag: str) -> None:
    error = _load_error(f"services:\n  web:\n    image: {tag}\n")
    assert (error.line, error.key) == (3, "image")


def test_non_scalar_keys_are_refused() -> None:
    assert "keys must be plain text" in _load_error("? [a]\n: 1\n").message


# --- source map --------------------------------------------------------------------------------


def test_source_map_points_at_keys_and_list_items() -> None:
    loaded = load("services:\n  web:\n    image: nginx\n    ports:\n      - '80:80'\n")
    assert loaded.source_map[("services", "web")] == (2, 3)
    assert loaded.position(("services", "web", "image")) == (3, 5)
    assert loaded.position(("services", "web", "ports", 0)) == (5, 9)


def test_position_of_an_unmapped_path_falls_back_to_its_nearest_ancestor() -> None:
    loaded = load("x: &x {image: a}\nservices:\n  web:\n    <<: *x\n")
    assert loaded.position(("services", "web", "image")) == (3, 3)
    assert loaded.position(("services", "web", "networks", "default")) == (3, 3)
