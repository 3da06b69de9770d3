"""depends_on graph: cycles and start order."""

from __future__ import annotations

import pytest

from scale_pilot_nb.compose.depgraph import dependency_graph, find_cycle, start_order


def test_graph_ignores_unknown_targets_but_keeps_self() -> None:
    compose = {
        "services": {
            "web": {"depends_on": {"db": {}, "ghost": {}, "web": {}}},
            "db": {},
        }
    }
    assert dependency_graph(compose) == {"web": ["db", "web"], "db": []}


def test_self_dependency_is_a_cycle_like_in_compose() -> None:
    graph = dependency_graph({"services": {"db": {}, "web": {"depends_on": ["db", "web"]}}})
    assert find_cycle(graph) == ["web", "web"]  # compose: "dependency cycle detected: web -> web"
    with pytest.raises(ValueError, match="web -> web"):
        start_order(graph)


def test_start_order_puts_dependencies_first_and_keeps_file_order() -> None:
    graph = {"web": ["api"], "api": ["db", "cache"], "worker": ["db"], "db": [], "cache": []}
    assert start_order(graph) == ["db", "cache", "api", "web", "worker"]


def test_cycle_is_reported_and_refused() -> None:
    graph = {"a": ["b"], "b": ["c"], "c": ["a"], "d": []}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    with pytest.raises(ValueError, match="a -> b -> c -> a"):
        start_order(graph)


def test_deep_chain_does_not_hit_the_recursion_limit() -> None:
    graph = {f"s{i}": [f"s{i + 1}"] for i in range(5000)}
    graph["s5000"] = []
    assert find_cycle(graph) is None
    assert start_order(graph)[0] == "s5000"
