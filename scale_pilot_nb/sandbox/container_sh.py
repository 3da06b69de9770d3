"""A simulated ``/bin/sh`` on a simulated terminal: what a sandbox "container" runs.

**A simulation, not a shell.** Nothing here starts a process or touches the host: commands are
a handful of Python functions over a fake environment and a few fake files. It exists so the
web-shell endpoint (:mod:`~scale_pilot_nb.sandbox.shell`) answers the way ``docker exec -it
<id> /bin/sh`` on a PTY does, which is what clients must cope with:

* **terminal**: typed input is echoed (until ``stty -echo``), output line ends are CRLF,
  CR and LF both end a line, Ctrl-C drops the line or stops ``sleep``, Ctrl-D on an empty
  line ends the shell, backspace erases; the prompt is ``# `` (root);
* **language**: words with ``'…'``, ``"…"`` and ``\\`` quoting, ``$VAR`` / ``${VAR}`` / ``$?``
  expansion, ``;``, ``&&``, ``||``, redirections to ``/dev/null`` (and ``2>&1``); pipes,
  globbing and control flow are not simulated and say so;
* **commands**: ``echo``, ``printf`` (``%s %d %%``, ``\\n \\t \\\\``), ``exit [N]``, ``true``,
  ``false``, ``pwd``, ``cd``, ``hostname`` (the container id's first 12 characters),
  ``whoami`` (root), ``id``, ``env``, ``printenv [NAME]``, ``cat`` and ``ls`` of a few fake
  files, ``sleep N``, ``stty -echo|echo|size``, ``sh -c TEXT``; anything else is
  ``sh: X: not found`` with status 127.

Independent of the SDK (the SDK's exec code is never imported here): written from what a
POSIX shell on a Linux PTY does.
"""

from __future__ import annotations

import asyncio
import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["NOT_FOUND", "ContainerInfo", "SimulatedShell", "Terminal", "oci_not_found"]

NOT_FOUND = 127
PROMPT = "# "
#: Longest ``sleep`` honoured, so an abandoned session cannot hold a task for long.
MAX_SLEEP = 600.0
SHELLS = frozenset({"/bin/sh", "sh", "/bin/ash", "/bin/bash", "bash"})


@dataclass
class ContainerInfo:
    """What the simulated container knows about itself."""

    container_id: str
    service: str
    image: str
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def hostname(self) -> str:
        """Docker's default hostname: the id's first 12 characters."""
        return self.container_id[:12]

    def files(self) -> dict[str, str]:
        """The fake files ``cat`` and ``ls`` know."""
        return {
            "/etc/hostname": f"{self.hostname}\n",
            "/etc/hosts": f"127.0.0.1\tlocalhost\n172.16.0.2\t{self.hostname}\n",
            "/etc/os-release": 'NAME="Sandbox Linux"\nID=sandbox\nPRETTY_NAME="simulated '
            f'container of {self.image}"\n',
        }


def oci_not_found(command: str) -> str:
    """What ``docker exec`` prints for an executable the image does not have."""
    return (
        "OCI runtime exec failed: exec failed: unable to start container process: exec: "
        f'"{command}": executable file not found in $PATH: unknown\n'
    )


class Terminal:
    """The PTY's line discipline: echo, line editing, CRLF output, Ctrl-C and Ctrl-D.

    Args:
        write: called with output bytes (already CRLF-translated).
    """

    def __init__(self, write: Callable[[bytes], None]) -> None:
        self._write = write
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._line: list[str] = []
        self.echo = True
        self.cols, self.rows = 80, 24
        self.lines: asyncio.Queue[str | None] = asyncio.Queue()
        self.interrupted = asyncio.Event()

    def output(self, text: str) -> None:
        """Write program output (LF becomes CRLF, as with ``onlcr``)."""
        if text:
            self._write(text.replace("\r\n", "\n").replace("\n", "\r\n").encode())

    def type(self, data: bytes) -> None:
        """Keys typed by the client: echo them and queue finished lines (None = Ctrl-D)."""
        for char in self._decoder.decode(data):
            if char in "\r\n":
                self._show("\n")
                self.lines.put_nowait("".join(self._line))
                self._line.clear()
            elif char == "\x03":
                self._show("^C\n")
                self._line.clear()
                self.interrupted.set()
            elif char == "\x04" and not self._line:
                self.lines.put_nowait(None)
            elif char in "\x7f\x08":
                if self._line:
                    self._line.pop()
                    self._show("\b \b")
            else:
                self._line.append(char)
                self._show(char)

    def _show(self, text: str) -> None:
        if self.echo:
            self.output(text)


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SimulatedShell:
    """The shell: reads lines from a :class:`Terminal`, runs them, writes to it.

    Args:
        terminal: where input comes from and output goes.
        container: the container it runs in.
    """

    def __init__(self, terminal: Terminal, container: ContainerInfo) -> None:
        self.term = terminal
        self.container = container
        self.env = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOSTNAME": container.hostname,
            "HOME": "/root",
            "TERM": "xterm",
            **container.environment,
        }
        self.cwd = "/"
        self.status = 0

    async def run(self) -> int:
        """Prompt, read and run lines until ``exit`` or Ctrl-D; returns the exit status."""
        while True:
            self.term.output(PROMPT)
            line = await self.term.lines.get()
            if line is None:
                self.term.output("\n")
                return self.status
            try:
                self.status = await self.run_line(line)
            except _Exit as done:
                return done.status

    async def run_line(self, line: str) -> int:
        """Run one command line; returns its status (``exit`` raises to the caller).

        Each command's words are expanded when it runs, so ``false; echo $?`` prints 1.
        """
        commands = _split(line)
        if commands is None:
            self.term.output("sh: syntax error: unterminated quoted string\n")
            return 2
        status, skip = self.status, False
        for text, op in commands:
            if op == "|":
                self.term.output("sh: pipes are not simulated in the sandbox\n")
                return 2
            words = self._tokens(text)
            if words and not skip:
                status = self.status = await self._command(words)
            skip = (op == "&&" and status != 0) or (op == "||" and status == 0)
        return status

    # -- words -----------------------------------------------------------------------------

    def _tokens(self, line: str) -> list[str]:
        """The expanded words of one command (its quotes are known to be closed)."""
        tokens: list[str] = []
        word: list[str] | None = None
        i, n = 0, len(line)
        while i < n:
            char = line[i]
            if char in " \t":
                if word is not None:
                    tokens.append("".join(word))
                word = None
                i += 1
                continue
            word = word if word is not None else []
            if char == "'":
                end = line.find("'", i + 1)
                word.append(line[i + 1 : end])
                i = end + 1
            elif char == '"':
                i += 1
                while i < n and line[i] != '"':
                    if line[i] == "\\" and i + 1 < n and line[i + 1] in '"\\$`':
                        word.append(line[i + 1])
                        i += 2
                    elif line[i] == "$":
                        text, i = self._expand(line, i)
                        word.append(text)
                    else:
                        word.append(line[i])
                        i += 1
                i += 1
            elif char == "\\" and i + 1 < n:
                word.append(line[i + 1])
                i += 2
            elif char == "$":
                text, i = self._expand(line, i)
                word.append(text)
            else:
                word.append(char)
                i += 1
        if word is not None:
            tokens.append("".join(word))
        return tokens

    def _expand(self, line: str, i: int) -> tuple[str, int]:
        """The value of the ``$…`` at ``line[i]`` and the index after it."""
        rest = line[i + 1 :]
        if rest.startswith("?"):
            return str(self.status), i + 2
        if rest.startswith("{") and "}" in rest:
            name = rest[1 : rest.index("}")]
            return self.env.get(name, ""), i + 2 + len(name) + 1
        match = _NAME.match(rest)
        if match is None:
            return "$", i + 1
        return self.env.get(match[0], ""), i + 1 + len(match[0])

    # -- commands --------------------------------------------------------------------------

    async def _command(self, typed: list[str]) -> int:
        words, quiet_out, quiet_err = _redirections(typed)
        if words is None:
            self.term.output("sh: can't create file: Read-only file system\n")
            return 1
        if not words:
            return 0
        out: list[str] = []
        err: list[str] = []
        status = await self._builtin(words[0], words[1:], out, err)
        if not quiet_out:
            self.term.output("".join(out))
        if not quiet_err:
            self.term.output("".join(err))
        return status

    async def _builtin(self, name: str, args: list[str], out: list[str], err: list[str]) -> int:
        base = name.rsplit("/", 1)[-1]
        if base in ("sh", "ash", "bash") and args[:1] == ["-c"] and len(args) > 1:
            child = SimulatedShell(self.term, self.container)
            child.env, child.cwd = dict(self.env), self.cwd
            try:
                return await child.run_line(args[1])
            except _Exit as done:
                return done.status
        simple = {
            "true": lambda: 0,
            "false": lambda: 1,
            "pwd": lambda: _say(out, self.cwd),
            "hostname": lambda: _say(out, self.container.hostname),
            "whoami": lambda: _say(out, "root"),
            "id": lambda: _say(out, "uid=0(root) gid=0(root) groups=0(root)"),
            "env": lambda: _say(out, *(f"{k}={v}" for k, v in self.env.items())),
        }
        if base in simple:
            return simple[base]()
        if base == "exit":
            code = _number(args[0]) if args else None
            raise _Exit(self.status if code is None else code % 256)
        if base == "echo":
            newline = args[:1] != ["-n"]
            out.append(" ".join(args[0 if newline else 1 :]) + ("\n" if newline else ""))
            return 0
        if base == "printf":
            return _printf(args, out, err)
        if base == "printenv":
            if not args:
                return _say(out, *(f"{k}={v}" for k, v in self.env.items()))
            values = [self.env[a] for a in args if a in self.env]
            _say(out, *values)
            return 0 if len(values) == len(args) else 1
        if base == "cd":
            return self._cd(args, err)
        if base in ("cat", "ls"):
            return self._files(base, args, out, err)
        if base == "stty":
            return self._stty(args, out)
        if base == "sleep":
            return await self._sleep(args, err)
        err.append(f"sh: {name}: not found\n")
        return NOT_FOUND

    def _cd(self, args: list[str], err: list[str]) -> int:
        target = args[0] if args else "/root"
        directories = {path.rsplit("/", 1)[0] or "/" for path in self.container.files()}
        if target not in directories | {"/", "/root", "/tmp"}:
            err.append(f"sh: cd: can't cd to {target}: No such file or directory\n")
            return 2
        self.cwd = target
        return 0

    def _files(self, command: str, args: list[str], out: list[str], err: list[str]) -> int:
        files = self.container.files()
        status = 0
        for path in args or [self.cwd]:
            if command == "cat" and path in files:
                out.append(files[path])
            elif command == "ls" and any(f.startswith(path.rstrip("/") + "/") for f in files):
                prefix = path.rstrip("/") + "/"
                names = sorted(
                    {f[len(prefix) :].split("/")[0] for f in files if f.startswith(prefix)}
                )
                _say(out, *names)
            elif command == "ls" and path in files:
                _say(out, path)
            else:
                err.append(f"{command}: {path}: No such file or directory\n")
                status = 1 if command == "cat" else 2
        return status

    def _stty(self, args: list[str], out: list[str]) -> int:
        for arg in args:
            if arg in ("-echo", "echo"):
                self.term.echo = arg == "echo"
            elif arg == "size":
                _say(out, f"{self.term.rows} {self.term.cols}")
        return 0

    async def _sleep(self, args: list[str], err: list[str]) -> int:
        seconds = _number(args[0]) if args else None
        if seconds is None or seconds < 0:
            err.append("sleep: invalid number\n")
            return 1
        self.term.interrupted.clear()
        try:
            await asyncio.wait_for(self.term.interrupted.wait(), min(seconds, MAX_SLEEP))
        except TimeoutError:
            return 0
        return 130


def _split(line: str) -> list[tuple[str, str]] | None:
    """``line`` cut at unquoted ``;``, ``&&``, ``||`` and ``|``: (command text, operator after
    it) pairs; None for an unterminated quote."""
    commands: list[tuple[str, str]] = []
    start, quote, i = 0, "", 0
    while i < len(line):
        char = line[i]
        if quote:
            if char == "\\" and quote == '"':
                i += 1
            elif char == quote:
                quote = ""
        elif char == "\\":
            i += 1
        elif char in "'\"":
            quote = char
        elif char in ";&|":
            op = line[i : i + 2] if line[i : i + 2] in ("&&", "||") else char
            commands.append((line[start:i], op))
            i += len(op)
            start = i
            continue
        i += 1
    if quote:
        return None
    commands.append((line[start:], ";"))
    return commands


def _say(out: list[str], *lines: str) -> int:
    out.extend(f"{line}\n" for line in lines)
    return 0


def _entries(files: dict[str, str], directory: str) -> list[str]:
    """The names directly inside ``directory`` among the fake files."""
    prefix = directory.rstrip("/") + "/"
    return sorted({f[len(prefix) :].split("/")[0] for f in files if f.startswith(prefix)})


def _number(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _redirections(words: list[str]) -> tuple[list[str] | None, bool, bool]:
    """Words without redirections, and whether stdout / stderr go to ``/dev/null``.

    Only ``/dev/null`` targets and ``2>&1`` are simulated; any other target is a
    read-only file system (None).
    """
    kept: list[str] = []
    quiet_out = quiet_err = False
    for word in words:
        match = re.fullmatch(r"([12]?)>(.*)", word)
        if match is None:
            kept.append(word)
            continue
        stream, target = match[1] or "1", match[2]
        if target == "&1" or target == "&2":
            continue
        if target != "/dev/null":
            return None, False, False
        quiet_out = quiet_out or stream == "1"
        quiet_err = quiet_err or stream == "2"
    return kept, quiet_out, quiet_err


def _printf(args: list[str], out: list[str], err: list[str]) -> int:
    """``printf FORMAT [ARG…]``: ``%s``, ``%d``, ``%%`` and backslash escapes; the format is
    reused while arguments remain, as POSIX says."""
    if not args:
        err.append("printf: missing format\n")
        return 1
    fmt, values = args[0], args[1:]
    escapes = {"n": "\n", "t": "\t", "\\": "\\", "r": "\r"}
    while True:
        used = 0
        i = 0
        while i < len(fmt):
            char = fmt[i]
            if char == "\\" and i + 1 < len(fmt):
                out.append(escapes.get(fmt[i + 1], "\\" + fmt[i + 1]))
                i += 2
            elif char == "%" and i + 1 < len(fmt):
                spec = fmt[i + 1]
                if spec == "%":
                    out.append("%")
                else:
                    value = values[used] if used < len(values) else ""
                    used += 1
                    out.append(str(_number(value) or 0) if spec == "d" else value)
                i += 2
            else:
                out.append(char)
                i += 1
        values = values[used:]
        if not values or not used:
            return 0
