"""Run the fake WhatsApp Cloud API on its own: ``python -m bot.devtools.fake_whatsapp --webhook-url URL``.

Prints the WHATSAPP_* variables that point a bot at it, then serves until interrupted (wall clock, any template
name accepted). People are played from Python (``FakeWhatsApp.user``); this mode is for pointing a running bot at
a Cloud API that records and checks what it sends.
"""

from __future__ import annotations

import argparse
import asyncio

from .server import FakeWhatsApp


async def _serve(port: int, webhook_url: str | None) -> None:
    async with FakeWhatsApp(port=port, webhook_url=webhook_url) as fake:
        for name, value in fake.env().items():
            print(f"{name}={value}")
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--webhook-url", default=None, help="the bot's POST /whatsapp/webhook address")
    args = parser.parse_args()
    try:
        asyncio.run(_serve(args.port, args.webhook_url))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
