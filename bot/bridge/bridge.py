"""The inbound bridge: each webhook event → the person's identity → the opt-in, BERHENTI, or a Telegram-shaped
update handed to the SAME Application path Telegram's updates take (``app.update_queue`` → the per-chat ordered
processor, the turn's transaction, the danger-sign interrupt, update-id dedupe).

One worker takes the queued events in order (the webhook only queues them and answers 200 at once). Before the
person said "Setuju", nothing but the opt-in question and the answer to a danger sign is sent; the text that
came with the first message (a wa.me registration code) is kept and acted on right after "Setuju".
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.bridge import inbound
from bot.bridge.delivery import OPEN, WhatsAppDelivery
from bot.channels.inbound import InboundEvent
from bot.channels.outgoing import Choice
from bot.channels.whatsapp.client import WhatsAppClient
from bot.core.runtime import get_runtime
from bot.flows.massage import FLOW as MASSAGE_FLOW
from storage import chatstate, identities

log = logging.getLogger(__name__)

OPT_IN_VERSION = "wa-1"  # the version of content/texts/whatsapp.yaml's opt_in wording
YES, NO = "wa_optin_yes", "wa_optin_no"
MESSAGE_IDS = 1_000_000_000  # inbound messages' ids, above the ids of the messages the bot sent


@dataclass(frozen=True)
class Arrival:
    person_id: int
    update_id: int
    created: bool
    opted_in: bool
    paused: bool
    pending_text: str
    memory: dict[str, Any]
    last_sent: int
    inbound_count: int
    flow: str = ""  # where the person is in the conversation (chat state)


class WhatsAppBridge:
    def __init__(self, app: Application, delivery: WhatsAppDelivery, client: WhatsAppClient):
        self.app = app
        self.rt = get_runtime(app)
        self.delivery = delivery
        self.client = client
        self.queue: asyncio.Queue[InboundEvent] = asyncio.Queue()
        self._task: asyncio.Task | None = None
        self._reads: set[asyncio.Task] = set()
        self._pending: set[int] = set()
        self._done: dict[int, asyncio.Event] = {}
        self._settled = asyncio.Event()
        self._settled.set()
        self.fed = 0
        self.webhook: Any = None  # the WhatsAppWebhook feeding it (bot/bridge/service.py)

    # -- lifecycle ---------------------------------------------------------------------------------
    def on_event(self, event: InboundEvent) -> None:
        """The webhook's sink: queue only (the webhook answers 200 at once)."""
        self._settled.clear()
        self.queue.put_nowait(event)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._work(), name="whatsapp-bridge")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        for read in list(self._reads):
            read.cancel()

    def processed(self, update: object) -> None:
        """Told by the update processor when an update is finished."""
        update_id = getattr(update, "update_id", -1)
        self._pending.discard(update_id)
        if update_id in self._done:
            self._done[update_id].set()
        if not self._pending and self.queue.empty():
            self._settled.set()

    async def settled(self, timeout: float = 30.0) -> None:
        """Wait until every queued event is handled and every update it fed is processed (tests, simulator)."""
        await asyncio.wait_for(self.queue.join(), timeout)
        await asyncio.wait_for(self._settled.wait(), timeout)

    async def _work(self) -> None:
        while True:
            event = await self.queue.get()
            try:
                await self.handle(event)
            except Exception:
                log.exception("whatsapp message %s could not be handled", event.provider_message_id)
            finally:
                self.queue.task_done()
                if not self._pending and self.queue.empty():
                    self._settled.set()

    # -- one event ---------------------------------------------------------------------------------
    def _arrive(self, event: InboundEvent) -> Arrival:
        with self.rt.db.session() as session:
            row, created = identities.resolve(session, str(event.channel), event.address, name=event.name,
                                              now=self.rt.clock.now())
            update_id = identities.saw_inbound(session, row, event.time)
            arrival = Arrival(row.person_id, update_id, created, row.opted_in_at is not None,
                              row.paused_at is not None, row.pending_text, dict(row.choices or {}), row.sent_count,
                              row.inbound_count, chatstate.get(session, row.person_id).flow)
            session.commit()
            return arrival

    def _change(self, person_id: int, what: str, value: Any = None) -> None:
        with self.rt.db.session() as session:
            row = identities.by_person(session, person_id)
            if row is None:
                return
            now = self.rt.clock.now()
            if what == "opt_in":
                identities.opt_in(session, row, OPT_IN_VERSION, now)
                identities.keep_text(session, row, "")
            elif what == "pause":
                identities.pause(session, row, now)
            elif what == "resume":
                identities.pause(session, row, None)
            elif what == "keep":
                identities.keep_text(session, row, value or "")
            session.commit()

    async def handle(self, event: InboundEvent) -> None:
        arrival = await self.rt.run_sync(self._arrive, event)
        self._mark_read(event.provider_message_id)
        pid = arrival.person_id
        word = " ".join(event.text.casefold().split()).strip(".!")
        # "berhenti" during the guided massage stops the massage (its own word); anywhere else, BERHENTI pauses
        if not event.choice_id and word in inbound.STOP_WORDS and arrival.flow != MASSAGE_FLOW:
            await self.rt.run_sync(self._change, pid, "pause")
            await self.delivery.say(pid, self.rt.content.text("whatsapp.paused"))
            return
        if not event.choice_id and word in inbound.RESUME_WORDS and arrival.paused:
            await self.rt.run_sync(self._change, pid, "resume")
            await self.delivery.say(pid, self.rt.content.text("whatsapp.resumed"))
            return
        if not arrival.opted_in:
            await self._before_opt_in(event, arrival)
            return
        await self.delivery.send_held(pid)
        await self._feed(event, arrival)

    async def _before_opt_in(self, event: InboundEvent, arrival: Arrival) -> None:
        pid = arrival.person_id
        if event.choice_id == YES:
            await self.rt.run_sync(self._change, pid, "opt_in")
            await self.delivery.say(pid, self.rt.content.text("whatsapp.opted_in"))
            # a registration code that came first (a wa.me text) is acted on now; anything else starts anew
            pending = inbound.command_text(arrival.pending_text)
            text = pending if pending.startswith("/start ") else "/start"
            await self._put(inbound.message_update(arrival.update_id, pid, event.name, event, text,
                                                   MESSAGE_IDS + arrival.inbound_count))
            return
        if event.choice_id == NO:
            await self.delivery.say(pid, self.rt.content.text("whatsapp.opted_out"))
            return
        free_text = bool(event.text) and not inbound.command_text(event.text).startswith("/")
        if free_text and self.rt.content.match_danger_signs(event.text):
            # a danger sign always gets its advice (119/112), opt-in or not
            update_id = await self._put(inbound.message_update(arrival.update_id, pid, event.name, event, event.text,
                                                               MESSAGE_IDS + arrival.inbound_count))
            await self._processed_one(update_id)  # the advice first, then the question
        elif event.text and (arrival.created or not arrival.pending_text or inbound.command_text(event.text) != event.text):
            await self.rt.run_sync(self._change, pid, "keep", event.text)
        choices = (Choice(YES, self.rt.content.text("whatsapp.opt_in_yes")),
                   Choice(NO, self.rt.content.text("whatsapp.opt_in_no")))
        await self.delivery.say(pid, self.rt.content.text("whatsapp.opt_in"), choices)

    async def _feed(self, event: InboundEvent, arrival: Arrival) -> None:
        pid, uid, name = arrival.person_id, arrival.update_id, event.name
        message_id = MESSAGE_IDS + arrival.inbound_count
        if event.choice_id:
            typed = inbound.typed_of(event.choice_id)
            if typed is not None:
                await self._put(inbound.message_update(uid, pid, name, event, typed, message_id))
            elif event.choice_id == OPEN:
                return  # the held messages were the point of the tap
            elif event.choice_id.startswith("/"):
                await self._put(inbound.message_update(uid, pid, name, event, event.choice_id, message_id))
            elif inbound.known_choice(event.choice_id, arrival.memory):
                await self._put(inbound.callback_update(uid, pid, name, event, event.choice_id, arrival.last_sent))
            else:
                await self.delivery.say(pid, self.rt.content.text("whatsapp.stale_choice"))
            return
        if event.contact is not None:
            await self._put(inbound.message_update(uid, pid, name, event, "", message_id))
            return
        if event.media is not None or not event.text.strip():
            await self.delivery.say(pid, self.rt.content.text("whatsapp.unsupported"))
            return
        text = inbound.command_text(event.text)
        choice = inbound.latest_choice(text, arrival.memory) if text == event.text else None
        if choice is not None:
            typed = inbound.typed_of(choice)
            if typed is not None:
                await self._put(inbound.message_update(uid, pid, name, event, typed, message_id))
            else:
                await self._put(inbound.callback_update(uid, pid, name, event, choice, arrival.last_sent))
            return
        await self._put(inbound.message_update(uid, pid, name, event, text, message_id))

    async def _put(self, data: dict[str, Any]) -> int:
        update = Update.de_json(data, self.app.bot)
        self._pending.add(update.update_id)
        self._settled.clear()
        self.fed += 1
        await self.app.update_queue.put(update)
        return update.update_id

    async def _processed_one(self, update_id: int, timeout: float = 30.0) -> None:
        """Wait (bounded) until the Application has finished the update ``update_id``."""
        done = self._done.setdefault(update_id, asyncio.Event())
        if update_id not in self._pending:
            done.set()
        try:
            await asyncio.wait_for(done.wait(), timeout)
        except TimeoutError:
            log.warning("update %s not finished after %ss; going on", update_id, timeout)
        finally:
            self._done.pop(update_id, None)

    def _mark_read(self, message_id: str) -> None:
        async def read() -> None:
            try:
                await self.client.mark_read(message_id)
            except Exception as exc:  # best effort: a read mark never stops a message
                log.info("could not mark whatsapp message %s read: %s", message_id, exc)

        task = asyncio.create_task(read())
        self._reads.add(task)
        task.add_done_callback(self._reads.discard)
