"""The project's fake Bot API in a process of its own, driven over a pipe.

On a small machine the bot and the fake Telegram must not share one core's event loop: the fake's own work
would count against the bot being measured. So the benchmarks start the fake here
(``python -m bench.fakeproc``), and talk to it with one JSON object per line on stdin/stdout:

    {"op": "enqueue", "updates": [...]}            queue raw updates for getUpdates
    {"op": "bot_messages", "items": [{"chat_id", "text", "reply_markup"}]}
                                                   messages "the bot sent earlier" (for callback queries)
    {"op": "stats"}                                CPU seconds, RSS, calls served, messages per chat
    {"op": "cpu"}                                  CPU seconds and calls served only (cheap)
    {"op": "clear"}                                forget chats, messages and callback queries
    {"op": "quit"}

The parent side is :class:`FakeServer` (asyncio).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
from collections import Counter
from typing import Any

from bench.common import cpu_seconds, rss_mb

# -- the child ------------------------------------------------------------------------------------------

async def _serve() -> None:
    from bot.devtools.fake_telegram import FakeTelegram

    fake = FakeTelegram(record_calls=False, keep_bytes=False, process_timeout=600)
    await fake.start()
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[bytes] = asyncio.Queue()

    def read_stdin() -> None:
        for raw in sys.stdin.buffer:
            loop.call_soon_threadsafe(lines.put_nowait, raw)
        loop.call_soon_threadsafe(lines.put_nowait, b'{"op": "quit"}')

    threading.Thread(target=read_stdin, name="bench-fake-stdin", daemon=True).start()
    _reply({"ok": True, "base_url": fake.base_url, "token": fake.token, "pid": os.getpid()})
    try:
        while True:
            command = json.loads(await lines.get())
            op = command.get("op")
            if op == "quit":
                _reply({"ok": True})
                return
            try:
                _reply({"ok": True, **_run(fake, op, command)})
            except Exception as exc:  # noqa: BLE001 - report it to the parent, keep serving
                _reply({"ok": False, "error": repr(exc)})
    finally:
        await fake.stop()


def _run(fake, op: str, command: dict[str, Any]) -> dict[str, Any]:
    world = fake.world
    if op == "enqueue":
        ids = [fake.enqueue_update(u).update_id for u in command["updates"]]
        return {"n": len(ids), "first": ids[0] if ids else None, "last": ids[-1] if ids else None}
    if op == "bot_messages":
        out = []
        for item in command["items"]:
            chat = world.chat(int(item["chat_id"]))
            message = world.new_message(chat, from_bot=True, sender=world.bot_json, kind="text")
            message.plain_text = item.get("text") or "…"
            message.reply_markup = item.get("reply_markup")
            out.append(message.to_api())
        return {"messages": out}
    if op == "stats":
        per_chat: Counter[int] = Counter()
        edits = 0
        for chat in world.chats.values():
            for message in chat.messages.values():
                if message.from_bot and not message.deleted:
                    per_chat[chat.id] += 1
                    edits += len(message.history)
        counts = Counter(per_chat.values())
        return {
            "cpu": cpu_seconds(),
            "rss_mb": rss_mb(),
            "calls": fake.total_calls,
            "bot_messages": sum(per_chat.values()),
            "chats": len(per_chat),
            "edits": edits,
            "messages_per_chat": {str(k): v for k, v in sorted(counts.items())},
            "internal_errors": [repr(e) for e in fake.internal_errors[:5]],
        }
    if op == "cpu":  # cheap: no walk over the world
        return {"cpu": cpu_seconds(), "calls": fake.total_calls}
    if op == "clear":
        world.chats.clear()
        world.callbacks.clear()
        world.user_callbacks.clear()
        return {}
    raise ValueError(f"unknown op {op!r}")


def _reply(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


# -- the parent -----------------------------------------------------------------------------------------

class FakeServer:
    """``async with FakeServer() as fake:`` — the fake Bot API in a child process."""

    def __init__(self) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self.base_url = ""
        self.token = ""
        self.pid = 0
        self._lock = asyncio.Lock()

    async def start(self) -> FakeServer:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.fakeproc", stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, limit=1 << 28, cwd=_repo_root(),
        )
        hello = json.loads(await self.proc.stdout.readline())
        self.base_url, self.token, self.pid = hello["base_url"], hello["token"], hello["pid"]
        return self

    async def call(self, op: str, **params: Any) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None
        async with self._lock:
            self.proc.stdin.write((json.dumps({"op": op, **params}) + "\n").encode())
            await self.proc.stdin.drain()
            answer = json.loads(await self.proc.stdout.readline())
        if not answer.get("ok"):
            raise RuntimeError(f"fake Bot API: {op} failed: {answer.get('error')}")
        return answer

    async def enqueue(self, updates: list[dict[str, Any]], chunk: int = 5000) -> None:
        for i in range(0, len(updates), chunk):
            await self.call("enqueue", updates=updates[i:i + chunk])

    async def stop(self) -> None:
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        try:
            proc.stdin.write(b'{"op": "quit"}\n')
            await proc.stdin.drain()
            await asyncio.wait_for(proc.wait(), 10)
        except (TimeoutError, ConnectionError, BrokenPipeError):
            proc.kill()
            await proc.wait()

    async def __aenter__(self) -> FakeServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def _repo_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


if __name__ == "__main__":
    asyncio.run(_serve())
    sys.stdout.flush()
    os._exit(0)  # the stdin reader thread may still be blocked in a read
