"""Sending with the 24-hour window in mind: inside it the full message, outside it the approved template.

The rule (issue 28): any non-template message sent more than 24 h after the person's latest inbound message (by its
webhook ``timestamp``) must be a template, a reminder delayed past that point included. The sender decides by the
last inbound time it knows; should WhatsApp still answer 131047 (another process saw a later message, or the clock
drifted), it sends the template then. Without a template for the message, :class:`TemplateRequired` is raised and
the caller keeps the message for when the person writes again (education, say, goes only inside the window).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.channels.outgoing import OutgoingMessage
from bot.channels.whatsapp.client import Sent, WhatsAppClient
from bot.channels.whatsapp.errors import TemplateRequired
from bot.channels.whatsapp.window import InboundTimes
from bot.core.clock import Clock


@dataclass(frozen=True)
class Delivery:
    sent: Sent
    as_template: bool


class WindowSender:
    def __init__(self, client: WhatsAppClient, times: InboundTimes, clock: Clock):
        self.client = client
        self.times = times
        self.clock = clock

    async def send(self, address: str, message: OutgoingMessage,
                   template: OutgoingMessage | None = None) -> Delivery:
        """Send ``message``, or ``template`` (a message carrying a Template) when the window is closed."""
        if template is not None and template.template is None:
            raise ValueError("the fallback must be a template message")
        if message.template is not None:
            return Delivery(await self.client.send(address, message), True)
        if self.times.needs_template(address, self.clock.now()):
            if template is None:
                raise TemplateRequired(131047, "the 24-hour window is closed and this message has no template")
            return Delivery(await self.client.send(address, template), True)
        try:
            return Delivery(await self.client.send(address, message), False)
        except TemplateRequired:
            if template is None:
                raise
            return Delivery(await self.client.send(address, template), True)
