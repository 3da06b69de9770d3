"""Injected faults: what the next frames, jobs and events should suffer.

Tests and benchmarks arm faults through :class:`~scale_pilot_nb.sandbox.Sandbox` methods; the
server consults this object on its loop thread. Nothing here is reachable over the wire: a
simulator whose failure switches were TrueNAS methods would let a client misbehave by accident.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from scale_pilot_nb.sandbox.contract import SandboxCallError


@dataclass
class Faults:
    """Armed faults. One-shot faults disarm themselves when they fire.

    Attributes:
        response_delay: seconds to hold every response (0 = off).
        delayed_methods: only delay these methods (empty = all methods).
        drop_after_frames: drop (no close frame) the first connection that sends this many more
            frames; ``None`` = off.
        drop_mid_job: drop the connection that started the next job once it is RUNNING.
        next_job_error: the error the next job fails with instead of running.
        events_paused: hold every event (and new-style job response) until resumed.
        held_methods: jobs of these methods stay RUNNING, their work not yet done, until
            :meth:`release_jobs` (a job that takes as long as a test needs, e.g. to be
            interrupted mid-way or to keep its lock while another job queues behind it).
        mute_shells: the web shell reads tokens but never answers them (a hung NAS or a
            proxy that swallows frames), so a client's handshake timeout can be tested.
    """

    response_delay: float = 0.0
    delayed_methods: frozenset[str] = frozenset()
    drop_after_frames: int | None = None
    drop_mid_job: bool = False
    next_job_error: SandboxCallError | None = None
    events_paused: bool = False
    held_methods: frozenset[str] = frozenset()
    mute_shells: bool = False
    _frames_seen: int = field(default=0, repr=False)
    _released: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def clear(self) -> None:
        """Disarm every fault (held events are released by the server, not here)."""
        self.response_delay = 0.0
        self.delayed_methods = frozenset()
        self.drop_after_frames = None
        self.drop_mid_job = False
        self.next_job_error = None
        self.events_paused = False
        self.mute_shells = False
        self._frames_seen = 0
        self.release_jobs()

    def delay_for(self, method: str) -> float:
        """Seconds to hold the response to ``method``."""
        if self.delayed_methods and method not in self.delayed_methods:
            return 0.0
        return self.response_delay

    def frame_sent(self) -> bool:
        """Count one outgoing frame; True when the armed drop fires (it then disarms)."""
        if self.drop_after_frames is None:
            return False
        self._frames_seen += 1
        if self._frames_seen < self.drop_after_frames:
            return False
        self.drop_after_frames = None
        self._frames_seen = 0
        return True

    def arm_drop_after(self, frames: int) -> None:
        """Drop a connection after ``frames`` more outgoing frames (``frames >= 1``)."""
        if frames < 1:
            raise ValueError("frames must be >= 1")
        self.drop_after_frames = frames
        self._frames_seen = 0

    def take_next_job_error(self) -> SandboxCallError | None:
        """The armed job error, disarming it."""
        error, self.next_job_error = self.next_job_error, None
        return error

    def hold_jobs(self, methods: frozenset[str]) -> None:
        """Hold the work of every job of ``methods`` that starts running from now on."""
        self.held_methods = methods
        self._released = asyncio.Event()

    def release_jobs(self) -> None:
        """Let held jobs do their work; new jobs are no longer held."""
        self.held_methods = frozenset()
        self._released.set()

    async def wait_if_held(self, method: str) -> None:
        """Return once a job of ``method`` may do its work (at once unless it is held)."""
        if method in self.held_methods:
            await self._released.wait()

    def take_drop_mid_job(self) -> bool:
        """Whether the next job should drop its connection, disarming the fault."""
        armed, self.drop_mid_job = self.drop_mid_job, False
        return armed
