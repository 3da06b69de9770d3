"""One command typed into a container's terminal, and its output and exit status read back.

TrueNAS runs commands in containers only through its web shell: ``docker exec -it`` on a PTY,
with no exit status (``docs/exec-design.md``). What comes back is a terminal stream: stdout
and stderr merged, typed input echoed, CRLF line ends, prompts, ANSI escapes. To run one
command non-interactively the SDK starts ``/bin/sh`` and types one line::

    stty -echo; printf '\\n%s%s\\n' S1 S2; CMD; printf '\\n%s%s%s\\n' R1 R2 "$?"; exit

``S1``/``S2`` and ``R1``/``R2`` are halves of two random markers. The terminal echoes the
typed line with the halves apart (``S1 S2``); only what ``printf`` prints has them joined, so
the echo, the prompt and ``stty``'s complaints (an image without it) never match. Output is
what lies between the joined start marker and the joined status marker; the status is the
number after the latter. Pure functions, no I/O: :mod:`.shells` sends and reads.

Limits that come from the terminal, not from this module: stdout and stderr arrive merged;
the command sees a TTY (programs may colour or page their output); input goes through the
line discipline, so this is not binary-safe, and the typed line must fit the terminal's
4095-byte line buffer.
"""

from __future__ import annotations

import codecs
import re
import secrets
import shlex
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from scale_pilot_nb.errors import MESSAGE_LIMIT, ArgumentError, ExecError, capped

__all__ = [
    "DEFAULT_EXEC_TIMEOUT",
    "DEFAULT_SHELL",
    "MAX_LINE_BYTES",
    "ExecResult",
    "Markers",
    "OutputReader",
    "command_line",
    "program_name",
    "script_for",
]

#: Seconds a non-interactive command may take, connecting included.
DEFAULT_EXEC_TIMEOUT = 60.0
#: What the NAS starts in the container: ``/bin/bash`` (its default) is missing in many images.
DEFAULT_SHELL = "/bin/sh"
#: Longest program name shown in an error or an :class:`ExecResult`'s repr.
PROGRAM_NAME_CHARS = 80
#: Longest line typed into the shell: the PTY's canonical line buffer holds 4095 bytes, and a
#: longer line would be cut off without a word.
MAX_LINE_BYTES = 4000

# CSI (colours, cursor moves), OSC (window titles) and two-character escapes.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
# A shell variable assignment before a command (``NAME=value cmd``).
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
# Control characters a typed line must not hold: they would be read as terminal keys.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


@dataclass(frozen=True)
class Markers:
    """The random start and status markers of one run, each in two halves."""

    start: tuple[str, str]
    status: tuple[str, str]

    @classmethod
    def new(cls) -> Markers:
        """Fresh markers (128 random bits each) that no output can contain by chance."""
        return cls(
            (f"__SP_{secrets.token_hex(8)}", f"{secrets.token_hex(8)}_START__"),
            (f"__SP_{secrets.token_hex(8)}", f"{secrets.token_hex(8)}_RC="),
        )


@dataclass(frozen=True)
class ExecResult:
    """What one command run in an app's container printed, and how it ended.

    Attributes:
        app: the app.
        service: the compose service whose container ran it.
        container_id: that container's full id.
        command: the command line as typed into the container's shell.
        output: stdout and stderr together (the terminal merges them), LF line ends,
            ANSI escapes removed.
        exit_code: the command's exit status; None when the shell ended without reporting
            one (the command ended the shell itself, or the session was cut).
        seconds: how long the run took, connecting included.

    The repr names the program only (``mysql(...)``), as errors do: a command line may carry
    a secret. :meth:`to_dict` keeps the whole command.
    """

    app: str
    service: str
    container_id: str
    command: str
    output: str
    exit_code: int | None
    seconds: float

    @property
    def ok(self) -> bool:
        """True when the command exited with status 0."""
        return self.exit_code == 0

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-serialisable), ``ok`` included."""
        return {**asdict(self), "ok": self.ok}

    def __repr__(self) -> str:
        lines = self.output.count("\n") + (1 if self.output and self.output[-1] != "\n" else 0)
        return (
            f"<ExecResult {self.app}/{self.service} {_typed_program(self.command)}(...): "
            f"exit {self.exit_code}, {lines} line(s)>"
        )


def program_name(command: str | Sequence[str]) -> str:
    """The program ``command`` runs, to name it in an error without its arguments.

    A command line may carry a secret (``mysql -pSECRET``, ``PGPASSWORD=x psql``), and
    errors end up in logs and tracebacks, so they show the first word that is not a
    ``NAME=value`` assignment, and nothing else.
    """
    words = command.split() if isinstance(command, str) else [str(w) for w in command]
    program = next((w for w in words if not _ASSIGNMENT.match(w)), "")
    return program[:PROGRAM_NAME_CHARS] or "the command"


def _typed_program(line: str) -> str:
    """:func:`program_name` of a line made by :func:`command_line` (``sh -c`` unwrapped)."""
    try:
        words = shlex.split(line)
    except ValueError:  # not made by command_line
        return program_name(line)
    if len(words) == 3 and words[:2] == ["sh", "-c"]:
        return program_name(words[2])
    return program_name(words)


def command_line(command: str | Sequence[str]) -> str:
    """The shell text for ``command``: a string runs under ``sh -c``; a list is an argv.

    A string is handed to a child ``sh`` (so ``exit 3`` or ``cd`` stay inside it); each argv
    element is quoted, so spaces, quotes and ``$`` reach the program unchanged.

    Raises:
        ArgumentError: empty, not text, or holding control characters (a newline would end
            the typed line early).
    """
    if isinstance(command, str):
        words = ["sh", "-c", command]
        if not command.strip():
            raise ArgumentError("The command is empty", hint="Give a command, e.g. 'ls -l /'.")
    elif isinstance(command, Sequence) and command and all(isinstance(w, str) for w in command):
        words = list(command)
    else:
        raise ArgumentError(
            f"command must be a string or a non-empty list of strings, not {command!r}"
        )
    for word in words:
        if _CONTROL.search(word):
            raise ArgumentError(
                "The command holds a newline or another control character",
                hint="Join several commands with ';' or '&&' on one line.",
            )
    return " ".join(shlex.quote(word) for word in words)


def script_for(line: str, markers: Markers) -> bytes:
    """The bytes typed into ``/bin/sh`` to run ``line`` between ``markers``.

    Raises:
        ArgumentError: the typed line would not fit the terminal's line buffer.
    """
    (s1, s2), (r1, r2) = markers.start, markers.status
    text = (
        f"stty -echo; printf '\\n%s%s\\n' {s1} {s2}; {line}; "
        f"printf '\\n%s%s%s\\n' {r1} {r2} \"$?\"; exit\n"
    )
    data = text.encode()
    if len(data) > MAX_LINE_BYTES:
        raise ArgumentError(
            f"The command is too long for the container's terminal ({len(data)} bytes with "
            f"the SDK's markers; at most {MAX_LINE_BYTES})",
            hint="Put long scripts in a file inside the container (a mounted volume) and run it.",
        )
    return data


class OutputReader:
    """Reads a run's output from terminal bytes as they arrive (for streaming to a console).

    :meth:`feed` returns the output text that is certain so far: it holds back a possibly
    unfinished escape sequence, UTF-8 character or CRLF, and as many characters as the status
    marker might still need, so a marker is never half-printed.

    Attributes:
        exit_code: the command's status, once its marker was read.
    """

    def __init__(self, markers: Markers) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._start = "".join(markers.start) + "\n"
        # Before the start marker, only the terminal's echo of the typed line holds these
        # halves: they flank the command (which may hold a secret) in it.
        self._echo = (markers.start[0], markers.status[0])
        self._status = re.compile(rf"\n{re.escape(''.join(markers.status))}(\d+)\n")
        self._hold = len("".join(markers.status)) + 6
        self._raw = ""  # decoded, not yet cleaned (may end in half an escape sequence)
        self._text = ""  # cleaned, not yet released
        self._seen = ""  # what came before the start marker (for the error message)
        self.started = False
        self.exit_code: int | None = None

    def feed(self, data: bytes) -> str:
        """Take more terminal bytes; returns the output text now certain ("" if none)."""
        self._raw += self._decoder.decode(data)
        cut = _complete_prefix(self._raw)
        self._text += _clean(self._raw[:cut])
        self._raw = self._raw[cut:]
        return self._release(final=False)

    def finish(self) -> str:
        """The rest of the output once the terminal closed.

        Raises:
            ExecError: the start marker never came (the shell did not run the line).
        """
        self._text += _clean(self._raw + self._decoder.decode(b"", final=True))
        self._raw = ""
        text = self._release(final=True)
        if not self.started:
            shown = (
                line for line in self._seen.splitlines() if not any(m in line for m in self._echo)
            )
            said = capped("\n".join(shown).strip()) or "nothing"
            raise ExecError(
                f"The container's shell did not run the command; the terminal said: {said}",
                hint="The image may have no /bin/sh (distroless and scratch images cannot run "
                "commands), or the container stopped.",
            )
        return text

    def _release(self, *, final: bool) -> str:
        if self.exit_code is not None:
            return ""
        if not self.started:
            begin = self._text.find(self._start)
            if begin < 0:
                # all but what may be the beginning of a start marker still arriving
                cut = len(self._text) if final else max(0, len(self._text) - len(self._start))
                self._seen = (self._seen + self._text[:cut])[-MESSAGE_LIMIT:]
                self._text = self._text[cut:]
                return ""
            self._seen += self._text[:begin]
            self._text = self._text[begin + len(self._start) :]
            self.started = True
        status = self._status.search(self._text)
        if status is not None:
            out, self._text = self._text[: status.start()], ""
            self.exit_code = int(status[1])
            return out
        if final:
            out, self._text = self._text, ""
            return out
        out, self._text = self._text[: -self._hold], self._text[-self._hold :]
        return out


def _clean(text: str) -> str:
    return _ANSI.sub("", text).replace("\r\n", "\n")


def _complete_prefix(text: str) -> int:
    """How much of ``text`` can be cleaned now: all but a trailing CR or unfinished escape."""
    end = len(text)
    escape = text.rfind("\x1b", max(0, end - 64))
    if escape >= 0 and not _ANSI.match(text, escape):
        end = escape
    if end and text[end - 1] == "\r":
        end -= 1
    return end
