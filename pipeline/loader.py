"""The warm loader (`python -m etl loader`): a fork server, so a small delivery does not pay the imports.

Every `python -m etl load` would import pandas, DuckDB and Great Expectations (about 4 s of CPU) before
it reads a byte. The loader is a long-lived process for ONE warehouse that imports all of that once,
without opening the warehouse, and listens on a Unix socket beside it (settings.loader_socket_path:
the directory 0700, the socket 0600). `python -m etl load …` is then a thin client (this module's
`dispatch`, called by `pipeline/__main__.py` and `etl/__main__.py` before anything heavy is imported):

    client                                   loader (parent)                     child
    connect; send argv, cwd, environment,
    umask and its stdin/stdout/stderr fds ─▶ SO_PEERCRED: same uid? warehouse?
      (SCM_RIGHTS)                            code unchanged? fork() ───────────▶ applies fds, cwd, env, umask;
                                    ◀─────── {"pid": child}                      runs pipeline.cli.main(argv)
    Ctrl-C / SIGTERM ─ {"signal": n} ──────▶ kill(child, n)                      — the same code path, messages
                                             wait4(child) ◀──────────────────── and exit code as the plain CLI
                                    ◀─────── {"exit": code, "rusage": …}         os._exit(code)
    exits with the child's code (or dies of its signal)

So every load is a fresh process (no DuckDB connection or settings kept between loads; settings are read
at call time in the child), and only the imports are shared. The loader holds no lock; the publish's
one-writer lock applies in each child, so loads from several clients at once behave as several CLI
processes would. A client that finds no loader (no socket, a stale socket of a killed loader, another
warehouse, a loader whose code files changed since it started) loads in its own process as before —
silently the same result; `--no-loader` or SCORECARD_LOADER=0 force that. Only peers with the loader's
own uid are served; the child runs with the client's environment, so anything that names the OS user
(getpass) names the client's. A child dies with its loader (PR_SET_PDEATHSIG); the publish is atomic,
so a loader killed during a load leaves the warehouse as it was.

This module imports only the standard library at the top: the client path must stay cheap
(`python -X importtime -m etl load --help` with a loader listening).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import struct
import sys

PROTOCOL = 1
_HEADER = struct.Struct("!I")
MAX_REQUEST = 8 << 20
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
CODE_DIRS = ("etl", "pipeline", "metrics", "seeds")
CODE_FILES = ("settings.py", "periods.py")
CODE_SUFFIXES = (".py", ".yaml", ".yml", ".sql", ".csv")


# ------------------------------------------------------------------------------------------ client
def dispatch(argv: list[str]) -> int:
    """`python -m pipeline ARGV` / `python -m etl ARGV`: a `load` is handed to the warm loader of its
    warehouse when one listens; everything else (and a load without a loader) runs `pipeline.cli.main`
    in this process."""
    if argv and argv[0] == "load" and not _no_loader(argv[1:]):
        code = client(argv)
        if code is not None:
            return code
    from pipeline.cli import main

    return main(argv)


def _no_loader(args: list[str]) -> bool:
    """`--no-loader` (or an unambiguous abbreviation, as argparse accepts) before a `--`."""
    for arg in args:
        if arg == "--":
            return False
        if len(arg) >= 6 and "--no-loader".startswith(arg):
            return True
    return False


class _Connection:
    """Newline-delimited JSON messages over the socket."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = b""

    def send(self, message: dict) -> None:
        self.sock.sendall(json.dumps(message).encode("utf-8") + b"\n")

    def receive(self) -> dict | None:
        """The next message; None when the other side closed the connection."""
        while b"\n" not in self.buffer:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)


def _open_std_fds() -> list[int]:
    fds = []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            continue
        fds.append(fd)
    return fds


def _stream_settings() -> dict:
    out = {}
    for name in ("stdin", "stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None:
            out[name] = {"encoding": getattr(stream, "encoding", None), "errors": getattr(stream, "errors", None)}
    return out


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def connect(path) -> socket.socket | None:
    """A connection to the loader at `path`, or None when nothing listens there (no socket, or the
    stale socket of a loader that was killed)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(os.fspath(path))
    except OSError:
        sock.close()
        return None
    return sock


def client(argv: list[str]) -> int | None:
    """Run `argv` (a `load`) in the warm loader of this warehouse: the loader's child gets this
    process's stdin/stdout/stderr, cwd and environment and runs the same `main(argv)`; returns its exit
    code (a child killed by a signal kills this process with the same signal). None: no loader serves
    this warehouse — the caller loads in its own process."""
    import settings

    if not settings.loader_enabled():
        return None
    warehouse = settings.warehouse_path().resolve()
    sock = connect(settings.loader_socket_path(warehouse))
    if sock is None:
        return None
    conn = _Connection(sock)
    fds = _open_std_fds()
    try:
        cwd = os.getcwd()
    except OSError:  # (a removed working directory: the plain path says what that means for the files)
        sock.close()
        return None
    request = {"protocol": PROTOCOL, "argv": list(argv), "argv0": sys.argv[0], "cwd": cwd,
               "env": dict(os.environ), "umask": _umask(), "warehouse": str(warehouse), "fds": fds,
               "streams": _stream_settings()}
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    try:
        data = json.dumps(request).encode("utf-8")
        first = _HEADER.pack(len(data)) + data
        sent = socket.send_fds(sock, [first], fds)
        if sent < len(first):
            sock.sendall(first[sent:])
        answer = conn.receive()
    except OSError:
        answer = None
    if answer is None or "pid" not in answer:
        sock.close()
        if answer and answer.get("refused"):
            print(f"note: the warm loader refused this load ({answer['refused']}); loading in this process",
                  file=sys.stderr)
        return None  # no loader after all (stopping, restarting, another warehouse): load here
    child = answer["pid"]

    def forward(signum, frame):
        try:
            conn.send({"signal": signum})
        except OSError:
            pass

    previous = {s: signal.signal(s, forward) for s in FORWARDED_SIGNALS}
    try:
        result = conn.receive()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        sock.close()
    if result is None:
        _wait_gone(child)
        print(f"error: the warm loader stopped before the load (process {child}) reported its result; "
              "check `python -m etl status`", file=sys.stderr)
        result = {"pid": child, "exit": 2, "lost": True}
    report = settings.loader_report_path()
    if report is not None:
        report.write_text(json.dumps(result), encoding="utf-8")
    if result.get("signal"):
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
        signal.signal(result["signal"], signal.SIG_DFL)
        os.kill(os.getpid(), result["signal"])
        return 128 + result["signal"]  # (only if the signal does not end this process)
    return int(result["exit"])


def _wait_gone(pid: int, timeout: float = 30.0) -> None:
    """Wait until a child of a vanished loader has ended (it is killed with its loader)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive(pid):
        time.sleep(0.02)


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie that nobody has reaped yet does not)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in (b"Z", b"X")


def control(message: dict, warehouse=None) -> dict | None:
    """Send a control message (`status`, `stop`) to this warehouse's loader; None when none listens."""
    import settings

    sock = connect(settings.loader_socket_path(warehouse))
    if sock is None:
        return None
    with sock:
        data = json.dumps({"protocol": PROTOCOL, **message}).encode("utf-8")
        sock.sendall(_HEADER.pack(len(data)) + data)
        return _Connection(sock).receive()


# ------------------------------------------------------------------------------------------ server
def peer_allowed(peer_uid: int, own_uid: int | None = None) -> bool:
    """Only a client with the loader's own uid is served (root is no exception: its loads would run
    with this user's rights and be recorded as this user's)."""
    return peer_uid == (os.getuid() if own_uid is None else own_uid)


def peer_credentials(sock: socket.socket) -> tuple[int, int, int]:
    """(pid, uid, gid) of the process at the other end of a Unix socket (SO_PEERCRED)."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)


def code_fingerprint(root=None) -> tuple:
    """What a loader's preloaded code depends on: every code, contract, model and seed file's path,
    size and mtime. A loader whose files changed since it started re-executes itself."""
    from pathlib import Path

    import settings

    root = Path(root or settings.REPO_ROOT)
    items = []
    for name in CODE_FILES:
        p = root / name
        if p.exists():
            st = p.stat()
            items.append((name, st.st_size, st.st_mtime_ns))
    for folder in CODE_DIRS:
        for dirpath, dirnames, filenames in os.walk(root / folder):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for f in sorted(filenames):
                if f.endswith(CODE_SUFFIXES):
                    st = os.stat(os.path.join(dirpath, f))
                    items.append((os.path.join(dirpath, f), st.st_size, st.st_mtime_ns))
    return tuple(items)


def preload() -> dict:
    """Import everything a load needs and prepare what needs no connection: the CLI and the whole
    load/publish/build path, Great Expectations with its ephemeral context (analytics off), the contracts,
    seeds' contracts, declared models and measures. Opens no warehouse. Returns what it found about the
    process (threads, open files) for the log."""
    import time

    started = time.process_time()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import pipeline.cli  # noqa: F401  (duckdb, pandas, pyarrow, tqdm, etl.*, pipeline.publish → metrics.build)
    import metrics.quality_query  # noqa: F401  (imported by a load of incidents)
    import followup.targets  # noqa: F401  (the publish copies the store's target changes; no store is opened here)
    import multiprocessing.synchronize  # noqa: F401  (imported lazily during a load)
    import pyarrow.pandas_compat  # noqa: F401  (the first pandas → Arrow conversion)
    from etl.contracts import load_contracts
    from etl.gate import _batch_definition
    from etl.seeds import seed_contracts
    from metrics.catalog import load_indicators, load_measures
    from metrics.models import load_models

    _batch_definition()  # imports great_expectations and builds the ephemeral context once
    load_contracts()
    seed_contracts()
    load_models()
    load_measures()
    load_indicators()
    import ctypes  # noqa: F401  (each child sets PR_SET_PDEATHSIG with it)
    import threading

    return {"cpu_s": time.process_time() - started, "python_threads": threading.active_count(),
            "native_threads": sorted(_thread_names())}


def _thread_names() -> list[str]:
    names = []
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                names.append(f.read().strip())
        except OSError:
            pass
    return names


class LoaderError(Exception):
    pass


class Loader:
    """The fork server of one warehouse (see the module's docstring)."""

    def __init__(self, warehouse=None, log=None, fingerprint: tuple | None = None):
        import settings

        self.warehouse = settings.warehouse_path() if warehouse is None else warehouse
        self.warehouse = type(self.warehouse)(self.warehouse).resolve()
        self.path = settings.loader_socket_path(self.warehouse)
        self.log = log or (lambda text: print(text, file=sys.stderr, flush=True))
        self.children: dict[int, dict] = {}      # child pid → {"conn": _Connection | None, "started": …}
        self.connections: dict[int, int] = {}    # connection fd → child pid
        self.stopping = False
        self.restart = False
        self.served = 0
        self.listener: socket.socket | None = None
        self.pid_file = None
        # taken before the imports (cmd_loader): a file changed while the loader was importing counts as changed
        self.fingerprint = code_fingerprint() if fingerprint is None else fingerprint

    # -- the socket
    def bind(self) -> None:
        """Bind the socket (0600, its own directory 0700): a live loader there is an error, the stale
        socket of a killed one is replaced. A lock on `<socket>.pid` keeps it to one loader."""
        import fcntl

        directory = self.path.parent
        if not directory.exists():
            directory.mkdir(mode=0o700, parents=True)
        if directory.name.endswith(".loader") or directory.name.startswith("scorecard-loader-"):
            st = directory.stat()
            if st.st_uid != os.getuid():
                raise LoaderError(f"{directory} belongs to another user (uid {st.st_uid})")
            os.chmod(directory, 0o700)
        pid_path = self.path.with_name(self.path.name + ".pid")
        self.pid_file = open(pid_path, "a+")
        try:
            fcntl.flock(self.pid_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.pid_file.seek(0)
            other = self.pid_file.read().strip()
            self.pid_file.close()
            raise LoaderError(f"a loader for {self.warehouse} is already running (pid {other or '?'}, "
                              f"socket {self.path}); stop it with `python -m etl loader --stop`")
        if self.path.exists() or self.path.is_symlink():
            import stat

            if not stat.S_ISSOCK(self.path.lstat().st_mode):
                raise LoaderError(f"{self.path} exists and is not a socket; not replacing it")
            live = connect(self.path)
            if live is not None:  # (a loader that lost its pid file but still listens)
                live.close()
                raise LoaderError(f"a loader already listens at {self.path}")
            self.log(f"loader: replacing the stale socket {self.path} (its loader is gone)")
            self.path.unlink()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_mask = os.umask(0o177)
        try:
            listener.bind(os.fspath(self.path))
        finally:
            os.umask(old_mask)
        os.chmod(self.path, 0o600)
        listener.listen(64)
        self.listener = listener
        self.pid_file.seek(0)
        self.pid_file.truncate()
        self.pid_file.write(f"{os.getpid()}\n")
        self.pid_file.flush()

    def close(self) -> None:
        if self.listener is not None:
            self.path.unlink(missing_ok=True)  # (the pid lock keeps the socket this loader's)
            self.listener.close()
            self.listener = None

    # -- the loop
    def serve(self, ready=None) -> int:
        import selectors
        import time

        self.started_at = time.time()
        self.bind()
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        self.wake = (wake_r, wake_w)
        signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)
        for s in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, lambda signum, frame: None)  # the C handler writes signum to the wakeup fd
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ, "accept")
        self.selector.register(wake_r, selectors.EVENT_READ, "signal")
        if ready:
            ready(self)
        try:
            while not (self.stopping and not self.children):
                for key, _ in self.selector.select(timeout=1.0):
                    if key.data == "accept" and self.listener is not None:
                        self._accept()
                    elif key.data == "signal":
                        self._signals(wake_r)
                    elif isinstance(key.data, int):
                        self._client_message(key.fileobj, key.data)
                self._reap()
        finally:
            self.close()
            signal.set_wakeup_fd(-1)
            self.selector.close()
            wake_r.close()
            wake_w.close()
        if self.restart:
            self.log("loader: code files changed; restarting")
            if self.pid_file:
                self.pid_file.close()
            os.execv(sys.executable, [sys.executable] + list(sys.orig_argv[1:]))
        self.log(f"loader: stopped after {self.served} loads")
        return 0

    def _stop_listening(self) -> None:
        if self.listener is not None:
            self.selector.unregister(self.listener)
            self.close()
        self.stopping = True

    def _signals(self, wake_r) -> None:
        try:
            data = wake_r.recv(4096)
        except BlockingIOError:
            return
        for signum in data:
            if signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                self.log(f"loader: {signal.Signals(signum).name}: stopping; {len(self.children)} running load(s) "
                         "get SIGTERM")
                self._stop_listening()
                for pid in list(self.children):
                    self._kill(pid, signal.SIGTERM)
        self._reap()

    def _kill(self, pid: int, signum: int) -> None:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self._finished(pid, status, usage)

    def _finished(self, pid: int, status: int, usage) -> None:
        import time

        child = self.children.pop(pid, None)
        if child is None:
            return
        code = os.waitstatus_to_exitcode(status)
        result = {"pid": pid, "wall_s": time.monotonic() - child["started"],
                  "rusage": {"utime_s": usage.ru_utime, "stime_s": usage.ru_stime,
                             "maxrss_kb": usage.ru_maxrss}}
        if code < 0:
            result["signal"] = -code
        else:
            result["exit"] = code
        conn = child["conn"]
        if conn is not None:
            self.connections.pop(conn.sock.fileno(), None)
            try:
                self.selector.unregister(conn.sock)
            except (KeyError, ValueError):
                pass
            try:
                conn.send(result)
            except OSError:
                pass
            conn.sock.close()
        self.log(f"loader: load {pid} for client {child['client_pid']} ended: "
                 + (f"signal {-code}" if code < 0 else f"exit {code}")
                 + f", {result['wall_s']:.2f} s, CPU {usage.ru_utime + usage.ru_stime:.2f} s")

    def _client_message(self, sock, pid: int) -> None:
        child = self.children.get(pid)
        conn = child["conn"] if child else None
        if conn is None:
            return
        try:
            chunk = sock.recv(4096)
        except OSError:
            chunk = b""
        if not chunk:  # the client is gone (killed): stop its load, as killing the CLI would
            self.selector.unregister(sock)
            self.connections.pop(sock.fileno(), None)
            child["conn"] = None
            sock.close()
            self._kill(pid, signal.SIGTERM)
            return
        conn.buffer += chunk
        while b"\n" in conn.buffer:
            line, conn.buffer = conn.buffer.split(b"\n", 1)
            try:
                signum = int(json.loads(line).get("signal"))
            except (ValueError, TypeError, AttributeError):
                continue
            if signum in FORWARDED_SIGNALS:
                self._kill(pid, signum)

    # -- one request
    def _accept(self) -> None:
        try:
            sock, _ = self.listener.accept()
        except OSError:
            return
        fds: list[int] = []
        try:
            sock.settimeout(10)
            peer_pid, peer_uid, _ = peer_credentials(sock)
            conn = _Connection(sock)
            if not peer_allowed(peer_uid):
                self.log(f"loader: refused a client of uid {peer_uid} (pid {peer_pid}); this loader serves "
                         f"uid {os.getuid()} only")
                conn.send({"refused": f"this loader serves uid {os.getuid()} only, not uid {peer_uid}"})
                _drain_and_close(sock)
                return
            request, fds = _read_request(sock)
            answer = self._check(request)
            if answer is not None:
                conn.send(answer)
                sock.close()
                return
            self._fork(request, fds, conn, peer_pid)
        except (OSError, ValueError, LoaderError) as err:
            self.log(f"loader: a request failed: {err.__class__.__name__}: {err}")
            sock.close()
        finally:
            for fd in fds:
                os.close(fd)

    def _check(self, request: dict) -> dict | None:
        """None when the request is a load this loader serves; else the answer that sends it back."""
        if request.get("protocol") != PROTOCOL:
            return {"fallback": "another protocol version"}
        if "control" in request:
            return self._control(request["control"])
        if request.get("warehouse") != str(self.warehouse):
            return {"fallback": f"this loader serves {self.warehouse}"}
        if not request.get("argv") or request["argv"][0] != "load":
            return {"fallback": "only `load` is served"}
        if self.stopping:
            return {"fallback": "stopping"}
        if code_fingerprint() != self.fingerprint:
            self.restart = True
            self._stop_listening()
            return {"fallback": "code changed; restarting"}
        return None

    def _control(self, what: str) -> dict:
        if what == "status":
            return {"pid": os.getpid(), "warehouse": str(self.warehouse), "socket": str(self.path),
                    "started_at": self.started_at, "served": self.served, "running": len(self.children)}
        if what == "stop":
            self.log("loader: stop requested; finishing running loads")
            self._stop_listening()
            return {"stopping": os.getpid(), "running": len(self.children)}
        return {"error": f"unknown control {what!r}"}

    def _fork(self, request: dict, fds: list[int], conn: _Connection, peer_pid: int) -> None:
        import time

        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            try:
                code = self._child(request, fds, conn, parent)
            except BaseException:  # never return into the loader's loop in a child
                code = 70
            os._exit(code)
        import selectors

        self.served += 1
        self.children[pid] = {"conn": conn, "started": time.monotonic(), "client_pid": peer_pid}
        conn.sock.settimeout(None)
        try:
            conn.send({"pid": pid})
        except OSError:  # the client is already gone: stop its load, as killing the CLI would
            self.children[pid]["conn"] = None
            conn.sock.close()
            self._kill(pid, signal.SIGTERM)
            return
        self.connections[conn.sock.fileno()] = pid
        self.selector.register(conn.sock, selectors.EVENT_READ, pid)
        self.log(f"loader: load {pid} for client {peer_pid}: {' '.join(request['argv'])}")

    def _child(self, request: dict, fds: list[int], conn: _Connection, parent: int) -> int:
        """In the forked child: become the client's process, run the CLI's main, report nothing (the
        parent waits for this process and sends its exit code)."""
        signal.set_wakeup_fd(-1)
        for s in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
            signal.signal(s, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _die_with_parent(parent)
        # nothing of the loader's stays open in the load: its socket, pid lock, wakeup pair, other clients
        for sock in [self.listener, *self.wake, conn.sock]:
            if sock is not None:
                sock.close()
        for child in self.children.values():
            if child["conn"] is not None:
                child["conn"].sock.close()
        if self.pid_file:
            self.pid_file.close()
        self.selector.close()
        given = dict(zip(request["fds"], fds))
        for target in (0, 1, 2):
            if target in given:
                os.dup2(given[target], target)
            else:
                try:
                    os.close(target)
                except OSError:
                    pass
        for fd in fds:
            if fd not in (0, 1, 2):
                os.close(fd)
        fds.clear()
        os.chdir(request["cwd"])
        os.umask(int(request["umask"]))
        os.environ.clear()
        os.environ.update(request["env"])
        import time

        time.tzset()
        try:
            import locale

            locale.setlocale(locale.LC_CTYPE, "")
        except Exception:
            pass
        _reopen_streams(request.get("streams") or {}, set(given))
        sys.argv = [request.get("argv0") or "-m"] + list(request["argv"])
        return _run_main(list(request["argv"]))


def _die_with_parent(parent: int) -> None:
    """PR_SET_PDEATHSIG: the child gets SIGTERM when the loader dies (a killed loader's loads stop; the
    publish is atomic)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass
    if os.getppid() != parent:
        os._exit(128 + int(signal.SIGTERM))


def _reopen_streams(streams: dict, open_fds: set[int]) -> None:
    """sys.stdin/stdout/stderr on the client's descriptors with the client's encoding, buffered as a
    new interpreter would buffer them (stdout line-buffered on a terminal, stderr always)."""
    import io

    def text(fd: int, mode: str, name: str):
        if fd not in open_fds:
            return None
        cfg = streams.get(name) or {}
        raw = io.FileIO(fd, mode, closefd=False)
        tty = raw.isatty()
        buffered = io.BufferedReader(raw) if mode == "r" else io.BufferedWriter(raw)
        return io.TextIOWrapper(buffered, encoding=cfg.get("encoding") or "utf-8",
                                errors=cfg.get("errors") or "strict",
                                line_buffering=(mode == "w" and (tty or name == "stderr")))

    sys.stdin = sys.__stdin__ = text(0, "r", "stdin")
    sys.stdout = sys.__stdout__ = text(1, "w", "stdout")
    sys.stderr = sys.__stderr__ = text(2, "w", "stderr")


def _run_main(argv: list[str]) -> int:
    """`sys.exit(main(argv))` as `python -m etl` runs it, ending as the interpreter would end."""
    code: int
    try:
        from pipeline.cli import main

        code = main(argv)
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except KeyboardInterrupt:
        import traceback

        traceback.print_exc()
        _flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        code = 128 + int(signal.SIGINT)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    _flush()
    return code & 0xFF


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except Exception:
            pass


def _drain_and_close(sock: socket.socket, limit: int = 1 << 20) -> None:
    """Close a refused connection without losing the answer: a Unix socket closed with unread data resets
    the peer, so what the client sent is read (and any descriptors it passed closed) first, briefly."""
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(1.0)
        seen = 0
        while seen < limit:
            data, fds, _flags, _addr = socket.recv_fds(sock, 65536, 3)
            for fd in fds:
                os.close(fd)
            if not data:
                break
            seen += len(data)
    except OSError:
        pass
    sock.close()


def _read_request(sock: socket.socket) -> tuple[dict, list[int]]:
    """The length-prefixed JSON request with the client's descriptors (SCM_RIGHTS)."""
    data, fds, _flags, _addr = socket.recv_fds(sock, 65536, 3)
    fds = list(fds)
    try:
        while len(data) < _HEADER.size:
            more = sock.recv(65536)
            if not more:
                raise ValueError("the client closed the connection in its request")
            data += more
        (size,) = _HEADER.unpack(data[:_HEADER.size])
        if size > MAX_REQUEST:
            raise ValueError(f"request of {size} bytes")
        body = data[_HEADER.size:]
        while len(body) < size:
            more = sock.recv(min(65536, size - len(body)))
            if not more:
                raise ValueError("the client closed the connection in its request")
            body += more
        request = json.loads(body[:size])
        if not isinstance(request, dict):
            raise ValueError("the request is not an object")
        if "control" not in request and len(request.get("fds", [])) != len(fds):
            raise ValueError("the request's descriptors did not arrive")
        return request, fds
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise


# ------------------------------------------------------------------------------------------ command
def cmd_loader(args) -> int:
    """`python -m etl loader [--status | --stop]`."""
    import settings

    warehouse = settings.warehouse_path()
    if args.status or args.stop:
        answer = control({"control": "stop" if args.stop else "status"}, warehouse.resolve())
        if answer is None:
            print(f"no loader listens for {warehouse} (socket {settings.loader_socket_path(warehouse)})")
            return 1
        if args.stop:
            print(f"loader {answer['stopping']} stops after its {answer['running']} running load(s)")
            return 0
        print(f"loader {answer['pid']} for {answer['warehouse']}: listening at {answer['socket']}, "
              f"{answer['served']} loads served, {answer['running']} running")
        return 0
    import time

    t0 = time.perf_counter()
    fingerprint = code_fingerprint()
    facts = preload()
    loader = Loader(warehouse, fingerprint=fingerprint)
    try:
        return loader.serve(ready=lambda lo: lo.log(
            f"loader {os.getpid()} ready for {lo.warehouse}: listening at {lo.path} (imports and preparation "
            f"{time.perf_counter() - t0:.2f} s wall, {facts['cpu_s']:.2f} s CPU; threads before any fork: "
            f"{facts['python_threads']} Python, native {', '.join(facts['native_threads'])})"))
    except LoaderError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
