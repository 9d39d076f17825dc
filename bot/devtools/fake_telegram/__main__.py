"""Run the fake Telegram Bot API standalone: ``python -m bot.devtools.fake_telegram --port 8081 --token 123:abc``.

Then start the bot against it with ``TELEGRAM_API_URL=http://127.0.0.1:8081/bot``. Type lines on stdin to
talk to the bot as a user (``!press <label>`` presses an inline button); bot messages are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import threading

from .server import DEFAULT_TOKEN, FakeTelegram
from .state import FakeMessage


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.devtools.fake_telegram", description="Fake Telegram Bot API server"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--bot-username", default="PijatOksitosinBot")
    parser.add_argument("--no-record", action="store_true", help="do not keep the list of calls (benchmarks)")
    parser.add_argument("--interactive", action="store_true", help="chat with the bot from stdin")
    parser.add_argument("--user-id", type=int, default=1001, help="the user you play with --interactive")
    parser.add_argument("--first-name", default="Siti")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    fake = FakeTelegram(
        args.token, args.bot_username, host=args.host, port=args.port, record_calls=not args.no_record
    )
    await fake.start()

    def show(message: FakeMessage, event: str) -> None:
        if args.interactive:
            print(f"[bot {event} #{message.message_id} → {message.chat_id}] {message.describe()}", flush=True)

    fake.on_message(show)
    print(f"Fake Telegram Bot API on {fake.base_url} (token {fake.token}); Ctrl-C stops it.", flush=True)
    try:
        if args.interactive:
            await _chat(fake, args)
        else:
            await asyncio.Event().wait()
    finally:
        await fake.stop()


async def _chat(fake: FakeTelegram, args: argparse.Namespace) -> None:
    user = fake.user(args.user_id, first_name=args.first_name)
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def read_stdin() -> None:  # a daemon thread, so Ctrl-C never waits for a pending readline
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line.rstrip("\n"))

    threading.Thread(target=read_stdin, name="fake-telegram-stdin", daemon=True).start()
    while True:
        line = await lines.get()
        if not line:
            continue
        try:
            if line.startswith("!press "):
                await user.press(line[len("!press ") :], wait=False)
            else:
                await user.send(line, wait=False)
        except AssertionError as exc:
            print(exc, flush=True)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
