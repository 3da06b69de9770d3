"""How ``scale-compose logs`` writes a line: ``web  | text``, as ``docker compose logs`` does.

Each line starts with its container's label padded to the longest label of the app, then
`` | ``; on a terminal the prefix has one colour per service. The label is the service name:
TrueNAS does not report container names, so there is no ``-1`` replica suffix, and a service
running several containers labels each with its short container id (``web-3f2a9c1b7d0e``).
Colours are given to the app's services in name order, so a service keeps its colour from
run to run (and ``-s`` does not change it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scale_pilot_nb.manager.logs import LogLine
    from scale_pilot_nb.records import Container

__all__ = ["LogPrinter"]

#: ANSI colours of the service prefixes, given out in service-name order.
_PALETTE = ("36", "33", "32", "35", "34", "96", "93", "92", "95", "94")


class LogPrinter:
    """Formats log lines of one app's containers.

    Args:
        containers: every container of the app (labels, widths and colours come from them).
        service: only this service's lines will be printed (the padding fits them).
        colour: colour the prefixes.
        prefix: start each line with its container's label (``--no-log-prefix`` turns it off).
        timestamps: put the Docker timestamp before the text (``-t``).
    """

    def __init__(
        self,
        containers: Iterable[Container],
        *,
        service: str | None = None,
        colour: bool = False,
        prefix: bool = True,
        timestamps: bool = False,
    ) -> None:
        containers = list(containers)
        services = sorted({c.service_name for c in containers})
        self._colours = {name: _PALETTE[i % len(_PALETTE)] for i, name in enumerate(services)}
        self._labels = _labels(containers)
        shown = [
            self._labels[c.id] for c in containers if service is None or c.service_name == service
        ]
        self._width = max((len(label) for label in shown), default=0)
        self._colour = colour
        self._prefix = prefix
        self._timestamps = timestamps

    def format(self, line: LogLine) -> str:
        """``line`` as it is printed (without the newline)."""
        text = line.data
        if self._timestamps and line.timestamp is not None:
            text = f"{line.timestamp.replace('+00:00', 'Z')} {text}"
        if not self._prefix:
            return text
        label = self._labels.get(line.container_id, line.service)
        self._width = max(self._width, len(label))
        head = f"{label:<{self._width}}  |"
        if self._colour:
            head = f"\033[{self._colours.get(line.service, _PALETTE[0])}m{head}\033[0m"
        return f"{head} {text}"


def _labels(containers: list[Container]) -> dict[str, str]:
    """Container id -> label: the service name, with the short id when it has replicas."""
    counts: dict[str, int] = {}
    for container in containers:
        counts[container.service_name] = counts.get(container.service_name, 0) + 1
    return {
        c.id: c.service_name if counts[c.service_name] == 1 else f"{c.service_name}-{c.short_id}"
        for c in containers
    }
