"""``system.*``, ``pool.*`` and ``filesystem.stat``: the NAS around the apps.

Values are fixed (hostname, CPU, memory) or come from the model's virtual clock, so the demo
seed answers identically every run.
"""

from __future__ import annotations

import errno
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from scale_pilot_nb.sandbox.args import Arg, require
from scale_pilot_nb.sandbox.contract import (
    CallContext,
    SandboxCallError,
    SandboxValidationErrors,
    version_at_least,
)
from scale_pilot_nb.sandbox.query import check_options, filter_list
from scale_pilot_nb.sandbox.state import BASE_TIME, SandboxModel

#: The release each sandbox version impersonates.
FULL_VERSIONS = {"24.10": "24.10.2.4", "25.04": "25.04.2.6", "25.10": "25.10.6"}
HOSTNAME = "truenas"
BOOT_TIME = BASE_TIME - 3 * 86400 - 4 * 3600 - 5 * 60 - 6


def full_version(version: str) -> str:
    """``system.version()``: ``TrueNAS-SCALE-24.10.2.4`` / ``TrueNAS-25.04.2.6``."""
    product = "TrueNAS-SCALE" if version == "24.10" else "TrueNAS"
    return f"{product}-{FULL_VERSIONS[version]}"


def ejson_date(epoch: float) -> dict[str, int]:
    """An ejson datetime in whole seconds, as the middleware sends it."""
    return {"$date": int(epoch) * 1000}


def system_version(model: SandboxModel, ctx: CallContext) -> str:
    """``system.version``."""
    return full_version(model.version)


def system_version_short(model: SandboxModel, ctx: CallContext) -> str:
    """``system.version_short``."""
    return FULL_VERSIONS[model.version]


def system_ready(model: SandboxModel, ctx: CallContext) -> bool:
    """``system.ready``: the simulated NAS has always finished booting."""
    return True


def system_info(model: SandboxModel, ctx: CallContext) -> dict[str, Any]:
    """``system.info`` (24.10 reports the full product name as ``version``)."""
    uptime = model.clock - BOOT_TIME
    return {
        "version": full_version("24.10")
        if model.version == "24.10"
        else FULL_VERSIONS[model.version],
        "buildtime": ejson_date(BASE_TIME - 30 * 86400),
        "hostname": HOSTNAME,
        "physmem": 68719476736,
        "model": "AMD Ryzen 7 5700G with Radeon Graphics",
        "cores": 16,
        "physical_cores": 8,
        "loadavg": [0.31, 0.42, 0.40],
        "uptime": str(timedelta(seconds=uptime)),
        "uptime_seconds": uptime,
        "system_serial": "S4N-DB0X-2025",
        "system_product": "X570D4U",
        "system_product_version": "1.0",
        "license": None,
        "boottime": ejson_date(BOOT_TIME),
        "datetime": ejson_date(model.clock),
        "timezone": "Etc/UTC",
        "system_manufacturer": "ASRockRack",
        "ecc_memory": True,
    }


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "K", "M", "G", "T", "P"):
        if value < 1024 or unit == "P":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.3g}{unit}"
        value /= 1024
    raise AssertionError("unreachable")


def pool_entry(model: SandboxModel, pool: dict[str, Any]) -> dict[str, Any]:
    """A ``pool.query`` entry from a stored pool record."""
    size, allocated = pool["size"], pool["allocated"]
    free = size - allocated
    status = pool["status"]
    entry: dict[str, Any] = {
        "id": pool["id"],
        "name": pool["name"],
        "guid": str(int(hashlib.sha256(pool["name"].encode()).hexdigest()[:15], 16)),
        "status": status,
        "path": f"/mnt/{pool['name']}",
        "scan": None,
        "expand": None,
        "is_upgraded": True,
        "healthy": status == "ONLINE",
        "warning": status != "ONLINE",
        "status_code": "OK" if status == "ONLINE" else "DEGRADED",
        "status_detail": None if status == "ONLINE" else "One or more devices are faulted.",
        "size": size,
        "allocated": allocated,
        "free": free,
        "freeing": 0,
        "fragmentation": "3",
        "size_str": str(size),
        "allocated_str": str(allocated),
        "free_str": str(free),
        "freeing_str": "0",
        "autotrim": {"parsed": "off", "rawvalue": "off", "source": "DEFAULT", "value": "OFF"},
        "topology": {
            "data": [{"type": pool["layout"], "status": status, "children": pool["disks"]}],
            "log": [],
            "cache": [],
            "spare": [],
            "special": [],
            "dedup": [],
        },
    }
    if version_at_least(model.version, "25.04"):
        entry.update(dedup_table_size=0, dedup_table_quota="auto")
    return entry


def pool_query(
    model: SandboxModel, ctx: CallContext, filters: Any = None, options: Any = None
) -> Any:
    """``pool.query``."""
    return filter_list([pool_entry(model, p) for p in model.pools], filters, options)


def _prop(value: Any, raw: Any = None, source: str = "LOCAL") -> dict[str, Any]:
    rawvalue = str(value if raw is None else raw)
    shown = value if isinstance(value, str) else rawvalue
    return {
        "parsed": value,
        "rawvalue": rawvalue,
        "value": shown,
        "source": source,
        "source_info": None,
    }


def _size_prop(size: int) -> dict[str, Any]:
    return {**_prop(size), "value": _human(size)}


def dataset_entry(model: SandboxModel, ds: dict[str, Any], children: bool) -> dict[str, Any]:
    """A ``pool.dataset.query`` entry from a stored dataset record."""
    kids = [
        dataset_entry(model, d, children)
        for d in model.datasets.values()
        if children and d["id"].rpartition("/")[0] == ds["id"]
    ]
    return {
        "id": ds["id"],
        "type": ds.get("type", "FILESYSTEM"),
        "name": ds["id"],
        "pool": ds["id"].split("/")[0],
        "encrypted": False,
        "encryption_root": None,
        "key_loaded": False,
        "children": kids,
        "user_properties": {},
        "locked": False,
        "mountpoint": ds.get("mountpoint"),
        "comments": _prop(ds.get("comments", "")),
        "managedby": _prop("", source="DEFAULT"),
        "deduplication": _prop("OFF", "off", "DEFAULT"),
        "aclmode": _prop("DISCARD", "discard", "INHERITED"),
        "acltype": _prop("POSIX", "posix", "INHERITED"),
        "xattr": _prop("ON", "sa", "INHERITED"),
        "atime": _prop("OFF", "off", "INHERITED"),
        "casesensitivity": _prop("SENSITIVE", "sensitive", "DEFAULT"),
        "checksum": _prop("ON", "on", "DEFAULT"),
        "exec": _prop("ON", "on", "DEFAULT"),
        "sync": _prop("STANDARD", "standard", "DEFAULT"),
        "compression": _prop(ds.get("compression", "LZ4"), None, "INHERITED"),
        "compressratio": _prop("1.42", "1.42x", "NONE"),
        "origin": _prop("", source="NONE"),
        "quota": _prop(None, "0", "DEFAULT"),
        "refquota": _prop(None, "0", "DEFAULT"),
        "reservation": _prop(None, "0", "DEFAULT"),
        "refreservation": _prop(None, "0", "DEFAULT"),
        "copies": _prop(1, "1", "DEFAULT"),
        "snapdir": _prop("HIDDEN", "hidden", "DEFAULT"),
        "readonly": _prop("OFF", "off", "DEFAULT"),
        "recordsize": _prop("128K", "131072", "DEFAULT"),
        "sparse": None,
        "volsize": _size_prop(ds["volsize"]) if ds.get("volsize") else None,
        "volblocksize": None,
        "key_format": _prop(None, "none", "DEFAULT"),
        "encryption_algorithm": _prop(None, "off", "DEFAULT"),
        "used": _size_prop(ds.get("used", 0)),
        "usedbychildren": _size_prop(0),
        "usedbydataset": _size_prop(ds.get("used", 0)),
        "usedbyrefreservation": _size_prop(0),
        "usedbysnapshots": _size_prop(0),
        "available": _size_prop(_pool_free(model, ds["id"].split("/")[0])),
        "special_small_block_size": _prop(0, "0", "DEFAULT"),
        "creation": _prop(ejson_date(ds.get("creation", BASE_TIME)), str(int(BASE_TIME))),
        "snapdev": _prop("HIDDEN", "hidden", "DEFAULT"),
    }


def _pool_free(model: SandboxModel, pool_name: str) -> int:
    pool = next((p for p in model.pools if p["name"] == pool_name), None)
    return 0 if pool is None else int(pool["size"] - pool["allocated"])


def dataset_query(
    model: SandboxModel, ctx: CallContext, filters: Any = None, options: Any = None
) -> Any:
    """``pool.dataset.query`` (``extra.retrieve_children`` defaults to true)."""
    extra = check_options(options).get("extra") or {}
    children = bool(extra.get("retrieve_children", True))
    items = [dataset_entry(model, ds, children) for ds in model.datasets.values()]
    return filter_list(items, filters, options)


DATASET_CREATE_ARGS = {
    "name": Arg(str),
    "type": Arg(str, "FILESYSTEM"),
    "comments": Arg(str, ""),
    "compression": Arg(str, "LZ4"),
    "volsize": Arg(int, None, nullable=True),
    "create_ancestors": Arg(bool, False),
    "share_type": Arg(str, "GENERIC"),
}


def dataset_create(model: SandboxModel, ctx: CallContext, data: Any = None) -> Any:
    """``pool.dataset.create``: a filesystem (mounted at ``/mnt/<name>``) or a volume."""
    args = require(model.version, "pool_dataset_create", data, DATASET_CREATE_ARGS)
    name: str = args["name"].strip("/")
    errors: list[tuple[str, str, int]] = []
    parent = name.rpartition("/")[0]
    if args["type"] not in ("FILESYSTEM", "VOLUME"):
        errors.append(("pool_dataset_create.type", "Invalid choice", errno.EINVAL))
    if args["type"] == "VOLUME" and not args["volsize"]:
        errors.append(("pool_dataset_create.volsize", "This field is required", errno.EINVAL))
    if name in model.datasets:
        errors.append(("pool_dataset_create.name", f"{name} already exists", errno.EEXIST))
    elif not parent or (parent not in model.datasets and not args["create_ancestors"]):
        message = "Parent dataset does not exist for specified name"
        errors.append(("pool_dataset_create.name", message, errno.ENOENT))
    if errors:
        raise SandboxValidationErrors(errors)
    for ancestor in _missing_ancestors(model, name):
        add_dataset(model, ancestor, {"type": "FILESYSTEM"})
    return dataset_entry(model, add_dataset(model, name, args), True)


def _missing_ancestors(model: SandboxModel, name: str) -> list[str]:
    parts = name.split("/")
    ancestors = ["/".join(parts[:i]) for i in range(2, len(parts))]
    return [a for a in ancestors if a not in model.datasets]


def add_dataset(model: SandboxModel, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """Record dataset ``name`` (and its mountpoint directory unless it is a volume)."""
    volume = args.get("type") == "VOLUME"
    record = {
        "id": name,
        "type": args.get("type", "FILESYSTEM"),
        "mountpoint": None if volume else f"/mnt/{name}",
        "comments": args.get("comments", ""),
        "compression": args.get("compression", "LZ4"),
        "used": 98304,
        "creation": model.tick(),
        "volsize": args.get("volsize"),
    }
    model.datasets[name] = record
    if not volume:
        model.directories.add(f"/mnt/{name}")
    return record


def filesystem_stat(model: SandboxModel, ctx: CallContext, path: Any) -> dict[str, Any]:
    """``filesystem.stat``: directories the model knows (dataset mountpoints, app paths)."""
    if not isinstance(path, str) or not model.path_exists(path):
        raise SandboxCallError(errno.ENOENT, f"Path {path} not found")
    normalized = "/" + path.strip("/")
    created = datetime.fromtimestamp(BASE_TIME, UTC)
    inode = int(hashlib.sha256(normalized.encode()).hexdigest()[:8], 16)
    mountpoint = any(d.get("mountpoint") == normalized for d in model.datasets.values())
    return {
        "realpath": normalized,
        "type": "DIRECTORY",
        "size": 4,
        "allocation_size": 4096,
        "mode": 0o40775,
        "mount_id": inode % 1000,
        "uid": 568 if "ix-apps" in normalized else 0,
        "gid": 568 if "ix-apps" in normalized else 0,
        "atime": created.timestamp(),
        "mtime": created.timestamp(),
        "ctime": created.timestamp(),
        "btime": created.timestamp(),
        "dev": 64,
        "inode": inode,
        "nlink": 2,
        "acl": False,
        "is_mountpoint": mountpoint,
        "is_ctldir": False,
        "attributes": [],
        "user": "apps" if "ix-apps" in normalized else "root",
        "group": "apps" if "ix-apps" in normalized else "root",
    }
