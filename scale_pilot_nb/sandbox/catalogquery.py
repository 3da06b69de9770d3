"""Read-only ``catalog.*`` methods: ``catalog.get_app_details``.

The questions of ``ix-app`` come from the sandbox's own schema model (``ixapp.SCHEMA``, the
one ``app.create`` checks against), serialised in the ``questions.yaml`` shape; the other
built-in catalog apps have no questions here (an empty list).
"""

from __future__ import annotations

import copy
import errno
from typing import Any

from scale_pilot_nb.sandbox import catalog, ixapp
from scale_pilot_nb.sandbox.args import require_name
from scale_pilot_nb.sandbox.contract import CallContext, SandboxCallError
from scale_pilot_nb.sandbox.state import NAS_ADDRESSES, SandboxModel

_GROUPS = [
    {"name": name, "description": f"Configure {name} for the container"}
    for name in (
        "App Configuration",
        "User and Group Configuration",
        "Network Configuration",
        "Portal Configuration",
        "Storage Configuration",
        "Labels Configuration",
        "Resources Configuration",
    )
]


def _questions(app_name: str) -> list[dict[str, Any]]:
    return ixapp.questions(NAS_ADDRESSES) if app_name == catalog.IX_APP else []


def get_app_details(
    model: SandboxModel, ctx: CallContext, app_name: Any, options: Any = None
) -> dict[str, Any]:
    """``catalog.get_app_details(app_name, {"train": train})``: the app and every version.

    Raises:
        SandboxCallError: ENOENT when the train or the app is unknown.
    """
    name = require_name(model.version, "catalog_get_app_details.app_name", app_name)
    train = options.get("train") if isinstance(options, dict) else None
    entry = catalog.CATALOG.get(name)
    if entry is None or (train is not None and entry.train != train):
        where = train or "stable"
        raise SandboxCallError(errno.ENOENT, f"Unable to locate '{name}' app in '{where}' train")
    versions = {}
    for version, app_version in entry.versions:
        versions[version] = {
            "name": entry.name,
            "version": version,
            "human_version": f"{app_version}_{version}",
            "healthy": True,
            "supported": True,
            "healthy_error": None,
            "app_metadata": catalog.metadata(entry, version),
            "schema": {"groups": copy.deepcopy(_GROUPS), "questions": _questions(name)},
            "readme": None,
            "changelog": None,
            "values": {},
        }
    return {
        "name": entry.name,
        "train": entry.train,
        "title": entry.title,
        "description": entry.description,
        "home": entry.home,
        "categories": list(entry.categories),
        "latest_version": entry.latest_version,
        "latest_app_version": entry.app_version(entry.latest_version),
        "versions": versions,
    }
