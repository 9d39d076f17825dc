"""A TCP proxy that adds a one-way delay, for a database "on another host" (``python -m bench.latency_proxy``).

Every chunk read from one side is written to the other side ``delay`` milliseconds after it arrived, in
order, in both directions; so a query's round trip costs twice the delay, as between two hosts one delay
apart (a managed PostgreSQL in the same region is typically 0.5–2 ms away). Runs in a process of its own,
so that its work does not count against the bot being measured:

    python -m bench.latency_proxy --target 127.0.0.1:5432 --delay-ms 0,1,2
    → one line of JSON: {"ports": {"0": 40123, "1": 40124, "2": 40125}}; then serves until stdin closes.

Where ``tc netem`` is available (root, network namespaces) it is the more faithful tool; this proxy needs
neither; on an idle machine it is good to about a tenth of a millisecond (a loaded one adds scheduling
delays: the benchmark measures the round trip it actually got, ``SELECT 1`` through each port).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import queue
import socket
import sys
import threading
import time


def _pump(source: socket.socket, sink: socket.socket, delay: float) -> None:
    """Copy ``source`` to ``sink``, each chunk ``delay`` seconds after it arrived (a reader and a writer
    thread: ``time.sleep`` is precise to about 0.1 ms, where asyncio's timers round up to whole milliseconds)."""
    chunks: queue.SimpleQueue[tuple[float, bytes]] = queue.SimpleQueue()

    def write() -> None:
        try:
            while True:
                arrived, data = chunks.get()
                if not data:
                    break
                wait = arrived + delay - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            try:
                sink.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        while data := source.recv(1 << 16):
            chunks.put((time.monotonic(), data))
    except OSError:
        pass
    finally:
        chunks.put((0.0, b""))
        writer.join()


def _connection(client: socket.socket, target: tuple[str, int], delay: float) -> None:
    try:
        server = socket.create_connection(target)
    except OSError:
        client.close()
        return
    for sock in (client, server):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    there = threading.Thread(target=_pump, args=(client, server, delay), daemon=True)
    there.start()
    _pump(server, client, delay)
    there.join()
    client.close()
    server.close()


def _listen(listener: socket.socket, target: tuple[str, int], delay: float) -> None:
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=_connection, args=(client, target, delay), daemon=True).start()


def serve(target: str, delays_ms: list[float], host: str = "127.0.0.1") -> None:
    target_host, _, port = target.rpartition(":")
    ports = {}
    for ms in delays_ms:
        listener = socket.create_server((host, 0))
        ports[f"{ms:g}"] = listener.getsockname()[1]
        threading.Thread(target=_listen, args=(listener, (target_host, int(port)), ms / 1000), daemon=True).start()
    print(json.dumps({"ports": ports}), flush=True)
    sys.stdin.read()  # until the parent closes stdin


class LatencyProxy:
    """``async with LatencyProxy("127.0.0.1:5432", [0, 1, 2]) as proxy: proxy.ports["2"]`` (a child process)."""

    def __init__(self, target: str, delays_ms: list[float]):
        self.target, self.delays_ms = target, delays_ms
        self.proc: asyncio.subprocess.Process | None = None
        self.ports: dict[str, int] = {}

    async def __aenter__(self) -> LatencyProxy:
        from bench.fakeproc import _repo_root

        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.latency_proxy", "--target", self.target,
            "--delay-ms", ",".join(f"{d:g}" for d in self.delays_ms),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=_repo_root())
        self.ports = json.loads(await self.proc.stdout.readline())["ports"]
        return self

    def url(self, base: str, delay_ms: float) -> str:
        """``base`` (a PostgreSQL URL pointing at the target) pointed at the proxy port for ``delay_ms``."""
        host, _, _ = self.target.rpartition(":")
        return base.replace(self.target, f"{host}:{self.ports[f'{delay_ms:g}']}", 1)

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.stdin.close()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.latency_proxy", description=__doc__.split("\n")[0])
    parser.add_argument("--target", default="127.0.0.1:5432", help="host:port to forward to")
    parser.add_argument("--delay-ms", default="0,1,2", help="comma-separated one-way delays, one port each")
    args = parser.parse_args(argv)
    serve(args.target, [float(d) for d in args.delay_ms.split(",")])


if __name__ == "__main__":
    main()
