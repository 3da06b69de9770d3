"""Which middleware methods only read, and may therefore be re-sent after a dropped connection.

When a connection drops while a call is in flight, nobody knows whether the NAS carried it
out. Re-sending a read is harmless; re-sending a mutation could create an app twice. So the
client re-sends a call only if it is a read by the rule below, or if the caller said so with
``call(..., retry_safe=True)``. Everything else surfaces as
:class:`~scale_pilot_nb.errors.RequestOutcomeUnknown`.

The rule is deliberately conservative and explicit:

* the last dotted part of the name is one of :data:`READ_VERBS` (``app.query``,
  ``app.get_instance``, ``docker.config``, ``core.ping``, ``system.info`` …), or
* the last part ends in ``_choices`` (``app.ip_choices`` — enumerations), or
* the name is in :data:`READ_METHODS` (reads whose names do not follow the pattern).

Any method not matched is treated as a mutation, including unknown ones.
"""

from __future__ import annotations

__all__ = ["READ_METHODS", "READ_VERBS", "is_read_method"]

#: Final name parts that denote a read in the middleware's naming scheme.
READ_VERBS = frozenset(
    {
        "query",
        "get_instance",
        "config",
        "ping",
        "info",
        "status",
        "get_jobs",
        "get_methods",
        "get_services",
        "me",
        "used_ports",
        "used_host_ips",
        "available_space",
        "upgrade_summary",
        "list_backups",
        "boot_id",
        "version",
        "version_short",
    }
)

#: Reads that the verb rule does not catch.
READ_METHODS = frozenset({"app.available", "app.categories", "app.latest"})


def is_read_method(method: str) -> bool:
    """True if ``method`` only reads state, so re-sending it after a drop is safe."""
    if method in READ_METHODS:
        return True
    verb = method.rsplit(".", 1)[-1]
    return verb in READ_VERBS or verb.endswith("_choices")
