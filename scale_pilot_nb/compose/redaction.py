"""The one redaction model: which values in a config are secret, how they are hidden, and how
a hidden config gets its secrets back.

Everything the SDK stores or shows of an app's configuration (history rows, diffs, export
files, plans, the CLI's ``config``) goes through :func:`redact`, so a secret hidden in one place
is hidden in all. A value is secret when its *name* says so (``is_secret_setting``) — a mapping
key anywhere (``environment.DB_PASSWORD``, ``x-common.API_TOKEN``, a label such as
``com.example.auth-token``), the ``name``/``key`` of a ``{name, value}`` pair (ix-app
``envs``/``labels``), or the ``KEY`` of a ``KEY=VALUE`` list entry (``environment``,
``labels``, build ``args``) — unless it is a yes/no switch (``MYSQL_RANDOM_ROOT_PASSWORD=1``).
Any other string keeps all but the password of a URL it holds (``postgres://app:PASS@db``).

What was hidden is replaced by :data:`REDACTED` and named (``service.VARIABLE`` for a compose
service's environment, the dotted path otherwise); :func:`fill_secrets` puts values given by
those names — or by the bare variable name — back, so ``redact`` then ``fill_secrets`` with
the listed names restores the original.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from scale_pilot_nb.compose.model import YamlPath, format_path
from scale_pilot_nb.compose.rules_security import URL_PASSWORD, is_secret_setting

__all__ = ["REDACTED", "SecretSlot", "fill_secrets", "redact", "secret_slots"]

#: What a secret value (or a URL's password) is replaced with.
REDACTED = "<redacted>"
#: Lists whose string entries are ``KEY=VALUE`` pairs.
_PAIR_LISTS = frozenset({"environment", "labels", "args", "annotations"})


@dataclass(frozen=True)
class SecretSlot:
    """One place in a config that holds a secret (the whole value or a URL's password).

    Attributes:
        path: where the value sits (a ``KEY=VALUE`` entry or a ``{name, value}`` pair is
            addressed by its name, not its index).
        key: the secret's own name (the variable, key or label), accepted by :func:`fill_secrets`.
        value: the value as it is in the config (may be :data:`REDACTED` or hold it).
    """

    path: YamlPath
    key: str
    value: Any
    _holder: Any
    _index: Any
    _prefix: str

    @property
    def name(self) -> str:
        """``service.VARIABLE`` for a compose service's environment, else the dotted path."""
        path = self.path
        if len(path) >= 4 and path[0] == "services" and path[2] == "environment":
            path = (path[1], *path[3:])
        return format_path(path)

    def hidden(self) -> Any:
        """The value with its secret part replaced by :data:`REDACTED`."""
        if _names_secret(self.key, self.value):
            return REDACTED
        return URL_PASSWORD.sub(lambda m: m.group(0).replace(m.group(1), REDACTED), self.value)

    def write(self, value: Any) -> None:
        """Put ``value`` into the config this slot was found in."""
        self._holder[self._index] = f"{self._prefix}{value}" if self._prefix else value


def _names_secret(key: str, value: Any) -> bool:
    """True when ``key`` names a secret and ``value`` (text or a number) is more than a switch."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return False
    return is_secret_setting(key, value)


def _holds_secret(key: str, value: Any) -> bool:
    if _names_secret(key, value):
        return True
    return isinstance(value, str) and (REDACTED in value or URL_PASSWORD.search(value) is not None)


def secret_slots(config: Any) -> Iterator[SecretSlot]:
    """Every slot of ``config`` holding a secret, already redacted ones included, in order."""
    yield from _walk(config, ())


def _walk(node: Any, path: YamlPath) -> Iterator[SecretSlot]:
    if isinstance(node, Mapping):
        pair = node.get("name", node.get("key")) if "value" in node else None
        for key, value in node.items():
            where, name = (*path, str(key)), str(key)
            if pair is not None and key == "value":
                where, name = (*path, str(pair)), str(pair)
            elif pair is not None and key in ("name", "key"):
                name = ""  # the pair's own name is never the secret, whatever it is called
            if isinstance(value, Mapping | list):
                yield from _walk(value, where)
            elif _holds_secret(name, value):
                yield SecretSlot(where, name, value, node, key, "")
    elif isinstance(node, list):
        parent = str(path[-1]) if path else ""
        for index, item in enumerate(node):
            if isinstance(item, Mapping | list):
                yield from _walk(item, (*path, index))
                continue
            name, sep, value = str(item).partition("=")
            if sep and parent in _PAIR_LISTS and isinstance(item, str):
                if _holds_secret(name, value):
                    yield SecretSlot((*path, name), name, value, node, index, f"{name}=")
            elif _holds_secret(parent, item):
                yield SecretSlot((*path, index), parent, item, node, index, "")


def redact(config: Any) -> tuple[Any, list[str]]:
    """A copy of ``config`` with every secret replaced by :data:`REDACTED`; the slots' names."""
    clean = copy.deepcopy(config)
    names = []
    for slot in list(secret_slots(clean)):
        slot.write(slot.hidden())
        names.append(slot.name)
    return clean, names


def fill_secrets(config: Any, secrets: Mapping[str, str] | None) -> tuple[Any, list[str]]:
    """Put ``secrets`` (by slot name, e.g. ``service.KEY``, or by bare ``KEY``) into the
    redacted slots of a copy of ``config``.

    Returns the filled copy and the names of the slots still missing a value.
    """
    filled = copy.deepcopy(config)
    given = dict(secrets or {})
    missing = []
    for slot in list(secret_slots(filled)):
        if not isinstance(slot.value, str) or REDACTED not in slot.value:
            continue
        value = given.get(slot.name, given.get(slot.key))
        if value is None:
            missing.append(slot.name)
        else:
            slot.write(slot.value.replace(REDACTED, str(value)))
    return filled, missing
