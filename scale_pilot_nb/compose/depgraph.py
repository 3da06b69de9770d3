"""The ``depends_on`` graph of a normalised compose: cycles and start order.

Validation reports cycles; split conversion orders the per-service apps so that a dependency is
created before the service that needs it. Both walk the graph iteratively (a hostile file with a
thousand-deep chain must not hit the recursion limit).
"""

from __future__ import annotations

from typing import Any

__all__ = ["dependency_graph", "find_cycle", "start_order"]


def dependency_graph(compose: dict[str, Any]) -> dict[str, list[str]]:
    """Service → the services it depends on (only targets that exist), in file order.

    A service that depends on itself keeps that edge: Compose reports it as the cycle
    ``a -> a``, and so does :func:`find_cycle`.
    """
    services = compose.get("services")
    services = services if isinstance(services, dict) else {}
    graph: dict[str, list[str]] = {}
    for name, service in services.items():
        depends = service.get("depends_on") if isinstance(service, dict) else None
        targets = list(depends) if isinstance(depends, dict | list) else []
        graph[str(name)] = [t for t in targets if isinstance(t, str) and t in services]
    return graph


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A dependency cycle as ``[a, b, ..., a]`` (``[a, a]`` for a self-dependency), or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in graph:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        trail: list[str] = []
        while stack:
            node, index = stack.pop()
            if index == 0:
                state[node] = 1
                trail.append(node)
            children = graph.get(node, [])
            if index < len(children):
                stack.append((node, index + 1))
                child = children[index]
                if state.get(child) == 1:
                    return [*trail[trail.index(child) :], child]
                if not state.get(child):
                    stack.append((child, 0))
            else:
                state[node] = 2
                trail.pop()
    return None


def start_order(graph: dict[str, list[str]]) -> list[str]:
    """Services so that each comes after everything it depends on; file order breaks ties.

    Raises:
        ValueError: the graph has a cycle (validation reports it as ``structure.dependency-cycle``).
    """
    cycle = find_cycle(graph)
    if cycle:
        raise ValueError(" -> ".join(cycle))
    ordered: list[str] = []
    placed: set[str] = set()
    for root in graph:
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            node, index = stack.pop()
            if node in placed:
                continue
            children = graph.get(node, [])
            if index < len(children):
                stack.append((node, index + 1))
                stack.append((children[index], 0))
            else:
                placed.add(node)
                ordered.append(node)
    return ordered
