"""The update queue behind getUpdates, and waiting until the bot has processed an update.

Every enqueued update gets an :class:`UpdateTicket` with its own sequence number, so the same update_id
can be delivered twice (duplicate tests) and each delivery is waited on separately.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from typing import Any

# Update types Telegram sends when allowed_updates was never given (or given as []).
DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

QUEUED = "queued"
DELIVERED = "delivered"
PROCESSED = "processed"
DROPPED = "dropped"
FILTERED = "filtered"
REJECTED = "rejected"
FINISHED = frozenset({PROCESSED, DROPPED, FILTERED, REJECTED})


def update_type(payload: dict[str, Any]) -> str:
    for key in payload:
        if key != "update_id":
            return key
    return "unknown"


class UpdateTicket:
    """One enqueued update. ``status``: queued → delivered → processed (or dropped/filtered/rejected)."""

    __slots__ = ("seq", "update_id", "payload", "kind", "status", "detail", "_event", "error", "unfiltered")

    def __init__(self, seq: int, payload: dict[str, Any]):
        self.seq = seq
        self.update_id: int = payload["update_id"]
        self.payload = payload
        self.kind = update_type(payload)
        self.status = QUEUED
        self.detail: str | None = None
        self.error: BaseException | None = None
        self._event: asyncio.Event | None = None
        # Served whatever allowed_updates says: Telegram may still send a kind queued before the bot narrowed
        # its allowed_updates ("unwanted updates may be received for a short period of time").
        self.unfiltered = False

    @property
    def done(self) -> bool:
        return self.status in FINISHED

    def finish(self, status: str, detail: str | None = None) -> None:
        if self.done:
            return
        self.status = status
        self.detail = detail
        if self._event is not None:
            self._event.set()

    async def wait(self, timeout: float) -> None:
        """Wait until finished; AssertionError on timeout or when it will never be processed."""
        if not self.done:
            if self._event is None:
                self._event = asyncio.Event()
            try:
                await asyncio.wait_for(self._event.wait(), timeout)
            except TimeoutError:
                where = (
                    "it was handed to the bot but its handler never finished"
                    if self.status == DELIVERED
                    else "it was never fetched: is the bot polling (or the webhook target set)?"
                )
                raise AssertionError(
                    f"the bot never processed update {self.update_id} ({self.kind}, seq {self.seq}) "
                    f"within {timeout:g} s: {where}"
                ) from None
        if self.status != PROCESSED:
            raise AssertionError(f"update {self.update_id} ({self.kind}) was {self.status}: {self.detail}")

    def __repr__(self) -> str:
        return f"<UpdateTicket seq={self.seq} id={self.update_id} {self.kind} {self.status}>"


class UpdateQueue:
    def __init__(self, first_update_id: int = 1) -> None:
        self._entries: deque[UpdateTicket] = deque()  # not yet confirmed by an offset, in order
        self._by_id: dict[int, deque[UpdateTicket]] = {}  # not yet processed, per update_id
        self._seq = 0
        self._last_update_id = first_update_id - 1
        self.outstanding = 0
        self.processed_total = 0
        self.unmatched_processed = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._wake = asyncio.Event()
        self.allowed: frozenset[str] | None = None  # None: Telegram's default set

    # --- producing -----------------------------------------------------------------------------------
    def next_update_id(self) -> int:
        self._last_update_id += 1
        return self._last_update_id

    def add(self, payload: dict[str, Any], *, queue: bool = True) -> UpdateTicket:
        if "update_id" not in payload:
            payload = {"update_id": self.next_update_id(), **payload}
        else:
            self._last_update_id = max(self._last_update_id, int(payload["update_id"]))
        self._seq += 1
        ticket = UpdateTicket(self._seq, payload)
        self._by_id.setdefault(ticket.update_id, deque()).append(ticket)
        self.outstanding += 1
        self._idle.clear()
        if queue:
            self._entries.append(ticket)
            self.wake()
        return ticket

    def queue(self, ticket: UpdateTicket) -> None:
        """Offer an added ticket to getUpdates (``add(..., queue=False)`` first, to set its flags)."""
        self._entries.append(ticket)
        self.wake()

    def wake(self) -> None:
        self._wake.set()
        self._wake = asyncio.Event()

    @property
    def wake_event(self) -> asyncio.Event:
        return self._wake

    # --- consuming (getUpdates) ----------------------------------------------------------------------
    def confirm(self, offset: int | None) -> None:
        """Forget delivered updates with update_id < offset (undelivered forged duplicates stay)."""
        if offset is None:
            return
        entries = self._entries
        while entries and entries[0].status != QUEUED and entries[0].update_id < offset:
            entries.popleft()
        if any(t.status != QUEUED and t.update_id < offset for t in entries):
            self._entries = deque(t for t in entries if t.status == QUEUED or t.update_id >= offset)

    def set_allowed(self, allowed: Iterable[str] | None) -> None:
        if allowed is None:
            return
        allowed = list(allowed)
        self.allowed = frozenset(allowed) if allowed else None

    def _is_allowed(self, kind: str) -> bool:
        if self.allowed is None:
            return kind not in DEFAULT_EXCLUDED
        return kind in self.allowed

    def take(self, limit: int) -> list[UpdateTicket]:
        batch: list[UpdateTicket] = []
        filtered = False
        for ticket in self._entries:
            if ticket.done:
                continue
            if not ticket.unfiltered and not self._is_allowed(ticket.kind):
                self._finish(ticket, FILTERED, "its type is not in the bot's allowed_updates")
                filtered = True
                continue
            batch.append(ticket)
            if len(batch) >= limit:
                break
        if filtered:
            self._entries = deque(t for t in self._entries if t.status != FILTERED)
        for ticket in batch:
            if ticket.status == QUEUED:
                ticket.status = DELIVERED
        return batch

    @property
    def pending_count(self) -> int:
        return sum(1 for t in self._entries if t.status == QUEUED)

    def drop_pending(self, reason: str) -> int:
        dropped = 0
        for ticket in self._entries:
            if ticket.status == QUEUED or ticket.status == DELIVERED:
                self._finish(ticket, DROPPED, reason)
                dropped += 1
        self._entries.clear()
        return dropped

    # --- processing ----------------------------------------------------------------------------------
    def mark_processed(self, update_id: int, error: BaseException | None = None) -> UpdateTicket | None:
        tickets = self._by_id.get(update_id)
        if not tickets:
            self.unmatched_processed += 1
            return None
        ticket = next((t for t in tickets if t.status == DELIVERED), tickets[0])
        ticket.error = error
        self._finish(ticket, PROCESSED)
        return ticket

    def mark_delivered(self, ticket: UpdateTicket) -> None:
        if ticket.status == QUEUED:
            ticket.status = DELIVERED

    def reject(self, ticket: UpdateTicket, detail: str) -> None:
        self._finish(ticket, REJECTED, detail)

    def _finish(self, ticket: UpdateTicket, status: str, detail: str | None = None) -> None:
        if ticket.done:
            return
        ticket.finish(status, detail)
        if status == PROCESSED:
            self.processed_total += 1
        tickets = self._by_id.get(ticket.update_id)
        if tickets is not None:
            try:
                tickets.remove(ticket)
            except ValueError:
                pass
            if not tickets:
                del self._by_id[ticket.update_id]
        self.outstanding -= 1
        if self.outstanding <= 0:
            self.outstanding = 0
            self._idle.set()

    def unfinished(self) -> list[UpdateTicket]:
        return [t for tickets in self._by_id.values() for t in tickets if not t.done]

    async def wait_idle(self, timeout: float) -> None:
        if self.outstanding == 0:
            return
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            left = self.unfinished()
            raise AssertionError(
                f"the bot did not finish {len(left)} update(s) within {timeout:g} s: {left[:10]}"
            ) from None
