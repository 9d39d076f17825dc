"""WhatsApp's 24-hour customer-service window.

A business may send any message (free text, interactive, media) within 24 hours of the person's latest message to
it; after that only an approved template (Meta, "Customer service windows":
https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages#customer-service-windows).
The window opens at the inbound message's webhook ``timestamp`` (when the person sent it), not when the webhook
arrived, so a message that sat in a queue does not stretch it. A reminder delayed past the end goes as a template.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

WINDOW = timedelta(hours=24)


def needs_template(now: datetime, last_inbound: datetime | None) -> bool:
    """True when a non-template message sent at ``now`` would fall outside the window (or none was ever opened).

    Exactly 24 h after the last inbound message counts as outside: the bot keeps no margin of its own, the
    caller decides how early to switch (a send takes time; see :func:`closes_within`)."""
    if last_inbound is None:
        return True
    return now - last_inbound >= WINDOW


def closes_within(now: datetime, last_inbound: datetime | None, margin: timedelta) -> bool:
    """True when the window is closed or closes within ``margin`` of ``now``."""
    return needs_template(now + margin, last_inbound)


def from_webhook_timestamp(value: str | int) -> datetime:
    """A webhook ``timestamp`` (Unix seconds, sent as a string) as an aware UTC datetime."""
    return datetime.fromtimestamp(int(value), UTC)


class InboundTimes:
    """The latest inbound time per address, kept in memory (the storage of chat state keeps it durably later).

    An older message arriving late never moves the time back."""

    def __init__(self) -> None:
        self._last: dict[str, datetime] = {}

    def saw(self, address: str, sent_at: datetime) -> None:
        previous = self._last.get(address)
        if previous is None or sent_at > previous:
            self._last[address] = sent_at

    def last(self, address: str) -> datetime | None:
        return self._last.get(address)

    def needs_template(self, address: str, now: datetime) -> bool:
        return needs_template(now, self.last(address))
