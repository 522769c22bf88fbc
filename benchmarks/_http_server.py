"""A loopback HTTP/1.1 server for T3 that counts in-flight requests itself.

Run as ``python -m benchmarks._http_server``. It binds 127.0.0.1 on a free port, prints
``PORT <n>`` on stdout, and serves keep-alive ``GET`` requests:

* ``/item/<i>``: waits ``--delay`` seconds (the fake latency that lets concurrency show),
  then answers the path as the body. A request is *in flight* from the moment its
  request line is read until its response is handed to the socket; the server keeps
  the count and its maximum, so the bound is judged by the service, not the client.
* ``/stats``: ``{"max_inflight": .., "served": .., "inflight": ..}`` as JSON.
* ``/reset``: zero the maximum and the served count (between rounds).
* ``/shutdown``: stop.

It also stops by itself after ``--max-requests`` item requests or ``--idle-timeout``
seconds without a request, so it can never outlive a benchmark run for long.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys


class _State:
    def __init__(self, max_requests: int) -> None:
        self.inflight = self.max_inflight = self.served = self.total = 0
        self.max_requests = max_requests
        self.stop = asyncio.Event()
        self.activity = asyncio.Event()


async def _handle(
    state: _State, delay: float, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while not state.stop.is_set():
            line = await reader.readline()
            if not line:
                break
            while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
                del header
            parts = line.decode("latin-1").split()
            item = False
            if len(parts) != 3 or parts[0] != "GET":
                body, status = b"only GET\n", b"400 Bad Request"
            elif parts[1].startswith("/item/"):
                state.activity.set()
                item, status = True, b"200 OK"
                body = await _item(state, delay, parts[1])
            else:
                body, status = _control(state, parts[1]), b"200 OK"
            writer.write(
                b"HTTP/1.1 " + status + b"\r\nContent-Type: text/plain\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body) + body
            )
            if item:
                state.inflight -= 1  # the response is with the socket now
            await writer.drain()
    except ConnectionError:
        pass  # the client closed its pooled connection: the end of a round
    finally:
        writer.close()


def _control(state: _State, path: str) -> bytes:
    if path == "/stats":
        stats = {"max_inflight": state.max_inflight, "served": state.served}
        return json.dumps({**stats, "inflight": state.inflight}).encode()
    if path == "/reset":
        state.max_inflight = state.served = 0
        return b"reset"
    if path == "/shutdown":
        state.stop.set()
        return b"bye"
    return b"unknown path"


async def _item(state: _State, delay: float, path: str) -> bytes:
    state.inflight += 1
    state.max_inflight = max(state.max_inflight, state.inflight)
    state.served += 1
    state.total += 1
    if state.total >= state.max_requests:
        state.stop.set()
    await asyncio.sleep(delay)
    return path.encode()


async def _idle_watch(state: _State, idle_timeout: float) -> None:
    while not state.stop.is_set():
        state.activity.clear()
        try:
            await asyncio.wait_for(state.activity.wait(), idle_timeout)
        except TimeoutError:
            print("http server: idle timeout, stopping", file=sys.stderr)
            state.stop.set()


async def serve(delay: float, max_requests: int, idle_timeout: float) -> None:
    """Serve on 127.0.0.1 until shut down, out of budget, or idle."""
    state = _State(max_requests)
    server = await asyncio.start_server(lambda r, w: _handle(state, delay, r, w), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    watch = asyncio.create_task(_idle_watch(state, idle_timeout))
    async with server:
        await state.stop.wait()
    watch.cancel()
    print(f"http server: stopped after {state.total} item requests", file=sys.stderr)


def main() -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.001, help="seconds per item request")
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--idle-timeout", type=float, default=120.0)
    args = parser.parse_args()
    asyncio.run(serve(args.delay, args.max_requests, args.idle_timeout))


if __name__ == "__main__":
    main()
