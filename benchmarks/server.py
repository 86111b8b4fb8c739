"""The processes a run starts, and stops whatever happens: gunicorn and a throwaway Redis."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0


class ServerError(RuntimeError):
    pass


def on_throwaway_postgres(script: Path, argv: list[str]) -> None:
    """Without ``DATABASE_URL``, run ``script`` again under ``.ci/with-postgres``: a throwaway
    PostgreSQL for this run, stopped when it ends. With it, return and use that database."""
    if os.environ.get("DATABASE_URL"):
        return
    wrapper = str(ROOT / ".ci" / "with-postgres")
    os.execvp(  # noqa: S606 - bash runs the repository's own script
        "bash", ["bash", wrapper, sys.executable, str(script.resolve()), *argv]
    )


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def worker_pids(self) -> list[int]:
        """The master's children: gunicorn's workers."""
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            return sorted(int(child) for child in children)
        except OSError:
            return sorted(p for p, parent in _parents().items() if parent == pid)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _parents() -> dict[int, int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (comm) state ppid ...": comm may hold spaces, so split after its ")".
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return parents


def cpu_ticks() -> tuple[int, int]:
    """Busy and total jiffies of the whole machine since boot, from ``/proc/stat``."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def memory_kb(pid: int) -> dict[str, int]:
    """``VmRSS`` (now) and ``VmHWM`` (peak since the process started), in kB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int, log_dir: Path) -> Iterator[Server]:
    """``benchmarks.wsgi`` on a free loopback port, sync workers, answering before it is yielded."""
    port = free_port()
    log = log_dir / f"gunicorn-{workers}w-{port}.log"
    command = [
        sys.executable, "-m", "gunicorn", "benchmarks.wsgi",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "sync",
        "--timeout", "600", "--error-logfile", "-",
    ]  # fmt: skip
    if _has_setting("control_socket"):  # newer gunicorns open one in ~/.gunicorn otherwise
        command += ["--control-socket", str(log_dir / f"gunicorn-{port}.ctl")]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_ready(server, workers, env["CONVERTEDIN_FEED_TOKEN"])
        yield server
    except Exception:
        print(f"gunicorn log ({log.name}), last lines:\n{server.log_tail()}", file=sys.stderr)
        raise
    finally:
        _stop(process)


def _has_setting(name: str) -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any(setting.name == name for setting in KNOWN_SETTINGS)


def _wait_ready(server: Server, workers: int, token: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(base_url=server.url, timeout=10, trust_env=False) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise ServerError(f"gunicorn exited while starting:\n{server.log_tail()}")
            try:
                response = client.post("/convertedin/orders", data={"token": token, "per_page": 1})
            except httpx.TransportError:
                time.sleep(0.2)
                continue
            if response.status_code != 200:
                raise ServerError(
                    f"gunicorn answered {response.status_code}: {response.text[:500]}\n"
                    f"{server.log_tail()}"
                )
            if len(server.worker_pids()) == workers:
                return
            time.sleep(0.2)
    raise ServerError(f"gunicorn did not answer within {START_TIMEOUT:.0f}s:\n{server.log_tail()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def redis_server(log_dir: Path) -> Iterator[str]:
    """A Redis on a free loopback port, nothing saved; yields its URL."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    command = [
        binary, "--port", str(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no", "--daemonize", "no",
    ]  # fmt: skip
    with (log_dir / "redis.log").open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=out)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise ServerError("redis-server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        _stop(process)


def flush_redis(url: str) -> None:
    redis.Redis.from_url(url).flushall()
