"""Typed results: what the NAS reports, parsed into small frozen records.

Each record has ``from_api(entry)`` that accepts the entry exactly as TrueNAS 24.10, 25.04 or
25.10 sends it (missing keys tolerated), ``to_dict()`` giving JSON-serialisable plain data,
and a short ``repr``. There is no display code here; notebook rendering builds on these.
"""

from __future__ import annotations

from scale_pilot_nb.records.app import (
    App,
    AppState,
    Container,
    ContainerState,
    HostBinding,
    PortMapping,
    VolumeMount,
)
from scale_pilot_nb.records.doctor import CheckStatus, DoctorCheck, DoctorReport
from scale_pilot_nb.records.image import Image
from scale_pilot_nb.records.job import Job, JobProgress, JobState
from scale_pilot_nb.records.system import DockerState, DockerStatus, Pool, SystemInfo, SystemStatus

__all__ = [
    "App",
    "AppState",
    "CheckStatus",
    "Container",
    "ContainerState",
    "DockerState",
    "DockerStatus",
    "DoctorCheck",
    "DoctorReport",
    "HostBinding",
    "Image",
    "Job",
    "JobProgress",
    "JobState",
    "Pool",
    "PortMapping",
    "SystemInfo",
    "SystemStatus",
    "VolumeMount",
]
