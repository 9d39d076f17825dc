"""FakeWhatsApp: a local WhatsApp Cloud API for tests and the simulator (like ``fake_telegram`` for the Bot API).

It answers the send, media and mark-read endpoints, enforces WhatsApp's limits and the 24-hour window on an
injected clock (Meta's error envelope: 131047 outside the window, 131009 for a parameter that breaks a limit),
records every call, and plays people: they type, press buttons and list rows, and the fake POSTs signed
webhooks (``X-Hub-Signature-256``) to the bot, with status ladders (sent, delivered, read, failed) and faults
(130429, 131026). Its limits are written here on their own, not imported from the bot, so a bot that breaks
a limit is caught.
"""

from .limits import ApiError
from .server import FakeWhatsApp, WaCall
from .users import WaUser

__all__ = ["ApiError", "FakeWhatsApp", "WaCall", "WaUser"]
