"""T3 against a real server: start it in its own process, and a backend-neutral client.

The client is a minimal HTTP/1.1 ``GET`` over anyio byte streams with a keep-alive pool
(one connection per concurrent request, so the pool grows to the model's bound and no
further), identical for every model and backend. The server is
:mod:`benchmarks._http_server`; its ``/stats`` is the only judge of in-flight requests.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path

import anyio
from anyio.abc import ByteStream
from anyio.streams.buffered import BufferedByteReceiveStream

ROOT = Path(__file__).resolve().parent.parent


class HttpError(Exception):
    """The server answered something other than 200, or broke the protocol."""


class _Conn:
    __slots__ = ("reader", "stream")

    def __init__(self, stream: ByteStream) -> None:
        self.stream = stream
        self.reader = BufferedByteReceiveStream(stream)


class HttpPool:
    """Keep-alive connections to one loopback port; ``fetch(path)`` returns the body.

    Make one per round, inside the loop, and ``aclose()`` it at the end of the round.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self._idle: list[_Conn] = []
        self._all: list[_Conn] = []

    async def fetch(self, path: str) -> bytes:
        """``GET path``; the body of a 200 response."""
        conn = self._idle.pop() if self._idle else await self._connect()
        await conn.stream.send(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path.encode())
        head = await conn.reader.receive_until(b"\r\n\r\n", 16384)
        status, *headers = head.decode("latin-1").split("\r\n")
        if not status.startswith("HTTP/1.1 200"):
            raise HttpError(f"GET {path}: {status!r}")
        length = next(
            (int(h.split(":", 1)[1]) for h in headers if h.lower().startswith("content-length:")),
            None,
        )
        if length is None:
            raise HttpError(f"GET {path}: no Content-Length in {headers!r}")
        body = await conn.reader.receive_exactly(length)
        self._idle.append(conn)  # only a connection with a complete exchange is reused
        return body

    async def _connect(self) -> _Conn:
        conn = _Conn(await anyio.connect_tcp("127.0.0.1", self.port))
        self._all.append(conn)
        return conn

    @property
    def connections(self) -> int:
        """How many connections the pool opened (the client-side view of concurrency)."""
        return len(self._all)

    async def aclose(self) -> None:
        """Close every connection the pool opened."""
        for conn in self._all:
            await anyio.aclose_forcefully(conn.stream)
        self._all.clear()
        self._idle.clear()


async def get_json(port: int, path: str) -> dict[str, int]:
    """One control request (``/stats``, ``/reset``) on its own connection."""
    pool = HttpPool(port)
    try:
        body = await pool.fetch(path)
    finally:
        await pool.aclose()
    if path != "/stats":
        return {}
    stats: dict[str, int] = json.loads(body)
    return stats


class ServerProcess:
    """The server in its own process; ``stop()`` asks it to exit and waits."""

    def __init__(self, *, delay: float, max_requests: int, idle_timeout: float = 120.0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._http_server", "--delay", str(delay),
             "--max-requests", str(max_requests), "--idle-timeout", str(idle_timeout)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"HTTP server did not start: first line {line!r}")
        self.port = int(line.split()[1])
        self.delay = delay

    def stop(self) -> None:
        """Ask the server to shut down; kill it only if it does not exit in 10 s."""
        if self.proc.poll() is None:
            # OSError: it stopped by itself meanwhile (request budget or idle timeout).
            with contextlib.suppress(OSError):
                anyio.run(get_json, self.port, "/shutdown")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
