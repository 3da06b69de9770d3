"""The wire: an async client for the TrueNAS middleware WebSocket API.

Layers, bottom up — each usable and tested on its own:

* :mod:`.ejson` — TrueNAS extended JSON (``$date``, ``$set``, ``$time``, ``$type: date``);
* :mod:`.protocol` — sans-I/O frames for JSON-RPC 2.0 (``/api/current``) and the legacy
  ``/websocket`` protocol, producing :mod:`.events`;
* :mod:`.error_map` — middleware errors to :mod:`scale_pilot_nb.errors` exceptions;
* :mod:`.transport` — the only module importing ``websockets`` (send / receive / close);
* :mod:`.connection` — one connection: request matching, 20 calls in flight;
* :mod:`.session` — connect, ``core.set_options``, login, reconnect, keepalive;
* :mod:`.client` — :class:`RpcClient`: calls, jobs, subscriptions;
* :mod:`.official` — the same interface over the official ``truenas_api_client`` (optional);
* :mod:`.factory` — :func:`make_client` picks one (``transport="websockets"|"official"``).
"""

from __future__ import annotations

from scale_pilot_nb.rpc.auth import Credentials, SecretLike, SupportsGetSecret, SupportsReveal
from scale_pilot_nb.rpc.client import RpcClient
from scale_pilot_nb.rpc.events import CollectionUpdate
from scale_pilot_nb.rpc.factory import TrueNASClient, make_client
from scale_pilot_nb.rpc.jobs import JobSnapshot, ProgressCallback, notify
from scale_pilot_nb.rpc.methods import is_read_method
from scale_pilot_nb.rpc.official import OfficialClient, official_available, official_release
from scale_pilot_nb.rpc.options import (
    DEFAULT_RECONNECT,
    DEFAULT_TIMEOUTS,
    NO_RECONNECT,
    USE_DEFAULT,
    ReconnectPolicy,
    Timeouts,
)
from scale_pilot_nb.rpc.protocol import Dialect
from scale_pilot_nb.rpc.session import ClientState
from scale_pilot_nb.rpc.stats import ClientStats
from scale_pilot_nb.rpc.subscription import Subscription

__all__ = [
    "DEFAULT_RECONNECT",
    "DEFAULT_TIMEOUTS",
    "NO_RECONNECT",
    "USE_DEFAULT",
    "ClientState",
    "ClientStats",
    "CollectionUpdate",
    "Credentials",
    "Dialect",
    "JobSnapshot",
    "OfficialClient",
    "ProgressCallback",
    "ReconnectPolicy",
    "RpcClient",
    "SecretLike",
    "Subscription",
    "SupportsGetSecret",
    "SupportsReveal",
    "Timeouts",
    "TrueNASClient",
    "is_read_method",
    "make_client",
    "notify",
    "official_available",
    "official_release",
]
