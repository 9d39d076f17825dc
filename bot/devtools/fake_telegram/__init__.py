"""A fake Telegram Bot API server and user-playing helpers, for end-to-end tests and the simulator.

async with FakeTelegram() as fake:
    app = (Application.builder().token(fake.token).base_url(fake.base_url)
           .base_file_url(fake.base_file_url)
           .concurrent_updates(TrackingUpdateProcessor(fake)).build())
    ...
    siti = fake.user(first_name="Siti")
    await siti.send("/start")
    assert "Selamat" in siti.last_reply.text
"""

from .faults import (
    ApiFailure,
    BadRequest,
    Blocked,
    Drop,
    Fault,
    FaultRule,
    Forbidden,
    RetryAfter,
    ServerError,
    Slow,
)
from .media import tiny_png
from .recording import Call
from .server import DEFAULT_TOKEN, FakeTelegram
from .state import ChatRecord, FakeMessage, Revision, StoredFile
from .tracking import TrackingUpdateProcessor
from .updates import UpdateTicket
from .users import FakeUser, command_entities
from .wire import ApiError, Upload
from .world import CallbackRecord

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "ApiFailure",
    "BadRequest",
    "Blocked",
    "Call",
    "CallbackRecord",
    "ChatRecord",
    "Drop",
    "FakeMessage",
    "FakeTelegram",
    "FakeUser",
    "Fault",
    "FaultRule",
    "Forbidden",
    "RetryAfter",
    "Revision",
    "ServerError",
    "Slow",
    "StoredFile",
    "TrackingUpdateProcessor",
    "UpdateTicket",
    "Upload",
    "command_entities",
    "tiny_png",
]
