"""The outbox dispatcher: sends the scheduled messages that are due, exactly as the database says.

One :meth:`Dispatcher.tick` (every ``settings.dispatch_interval`` seconds, from PTB's JobQueue in
``python -m bot run`` or from the loop of ``python -m bot worker``):

1. claim up to ``settings.dispatch_batch`` due rows with a lease (storage/outbox.py: ``FOR UPDATE SKIP
   LOCKED`` on PostgreSQL, so several processes share the work; ``BEGIN IMMEDIATE`` on SQLite) and commit;
2. expire rows that are too late (``settings.grace`` after their due time; a row may carry its own
   ``grace_seconds`` in the payload) or that would arrive at night (21:00–06:00 in the row's ``tz``;
   rows without ``tz``, such as a midwife's alert, are not held back at night);
3. render each row with the renderer registered for its kind (bot/flows/outbox_kinds.py);
4. send, about one message per second per chat and a few chats at a time (``settings.sends_in_flight``,
   8 by default), and record each result (sent with Telegram's message id, retry later, failed,
   cancelled) soon after it is known: one writer commits the results that have come in, at least every
   50 ms (``RECORD_EVERY``) and whenever ``concurrency`` of them are waiting, so a busy second's results
   go out in a few dozen short transactions, not one per message and not one per batch;
5. claim the next batch while batches come back full (at most ``max_batches`` per tick).

Failures: 429 → the row waits ``retry_after`` and the dispatcher claims nothing new until then (with
PTB's AIORateLimiter from bot/core/app.py the limiter first waits and retries by itself, up to 3 times, holding
every request of the bot meanwhile, as Telegram's flood wait applies to the whole bot; the default lease
of 20 dispatch intervals, at least 5 s and at most 5 min, leaves room for that);
5xx, timeouts and network errors → retried with exponential back-off, ``max_attempts`` in all, then
failed; 403 (blocked, deactivated) or "chat not found" → the person is marked unreachable
(storage/users.mark_unreachable) and their pending rows are cancelled; any other error → logged and
retried like a network error. The tick itself never raises.

Delivery guarantee: every row is sent at least once while it is within its grace window; a row is sent
twice only when a process dies (or loses its lease) after Telegram accepted the message and before the
result was committed. So a killed process doubles at most the sends it had in flight (Telegram may
still deliver a request whose sender died: at most ``settings.sends_in_flight``) plus the results not yet
committed (fewer than ``concurrency``, from the last 50 ms): at most twice ``sends_in_flight`` (16 by
default), never its whole batch.

On PostgreSQL the database work (claim, render, results) runs in the runtime's thread pool
(``Runtime.run_sync``), so a slow database never holds the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import math
import pkgutil
import time as _time
import warnings
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.chat.keyboards import inline
from bot.flows import reminders as reminder_flows
from bot.flows import schedule
from bot.flows.outbox_kinds import RENDERERS, Rendered
from storage import identities, kept_replies, outbox, users

log = logging.getLogger(__name__)

WHATSAPP_HINT = "wa_hint"  # beside a send to a WhatsApp person: the row's kind (bot/bridge/delivery.py HINT)

# A result is committed at most this long after Telegram accepted the message (or sooner, once
# ``concurrency`` results are waiting): what a killed process can send twice beyond its sends in flight.
RECORD_EVERY = 0.05


@dataclass(frozen=True)
class TickResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    expired: int = 0
    cancelled: int = 0
    claimed: int = 0

    def __add__(self, other: TickResult) -> TickResult:
        return TickResult(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    @property
    def total(self) -> int:
        return self.sent + self.retried + self.failed + self.expired + self.cancelled


def load_kinds() -> None:
    """Import every flow module so each outbox kind's renderer (they live in bot/flows/) is registered."""
    import bot.flows

    for info in pkgutil.iter_modules(bot.flows.__path__):
        try:
            importlib.import_module(f"bot.flows.{info.name}")
        except Exception:  # a broken module must not stop the reminders of everyone else
            log.exception("could not import bot.flows.%s", info.name)


def default_lease(settings) -> timedelta:
    """How long a claim is held: long enough to send a batch, short enough to recover a crash quickly."""
    seconds = min(max(settings.dispatch_interval * 20, 5.0), 300.0)
    return timedelta(seconds=seconds)


def _retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


@dataclass
class _Job:
    row: outbox.Outbox
    chat_id: int
    rendered: Rendered
    retry_at: datetime | None = None  # set when the send is to be retried (not sent now)


class Dispatcher:
    """Sends due Outbox rows through ``bot``. ``runtime`` gives settings, db, content, clock and worker id."""

    def __init__(
        self,
        runtime,
        bot,
        *,
        lease: timedelta | None = None,
        per_chat_gap: float = 1.0,
        concurrency: int | None = None,
        max_attempts: int = 5,
        max_batches: int | None = None,
        backoff: timedelta = timedelta(seconds=30),
        max_backoff: timedelta = timedelta(minutes=15),
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        monotonic: Callable[[], float] = _time.monotonic,
    ):
        self.rt = runtime
        self.bot = bot
        self.settings = runtime.settings
        self.db = runtime.db
        self.content = runtime.content
        self.clock = runtime.clock
        self.worker = runtime.worker_id
        self.lease = lease or default_lease(self.settings)
        self.per_chat_gap = per_chat_gap
        self.concurrency = max(1, concurrency or self.settings.sends_in_flight)
        self.paid_broadcast = bool(getattr(self.settings, "paid_broadcast", False))
        self.max_attempts = max_attempts
        # A batch holds at least two rounds of sends in flight; a tick claims batches while they come back
        # full, up to what the send rate allows in one interval (at least 20 batches).
        self.batch = max(self.settings.dispatch_batch, 2 * self.concurrency if self.paid_broadcast else 1)
        wave = self.settings.send_rate * self.settings.dispatch_interval / self.batch
        self.max_batches = max(1, max_batches if max_batches is not None else max(20, math.ceil(wave)))
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._sleep = sleep
        self._monotonic = monotonic
        self._last_sent: dict[int, float] = {}
        self.hold_until: datetime | None = None  # after a 429: claim nothing new before this
        self._results: list[tuple] = []  # results not yet committed (the writer takes them)
        self._writer: asyncio.Task | None = None
        self._write_now = asyncio.Event()
        self._lock = asyncio.Lock()
        load_kinds()

    # -- the tick ------------------------------------------------------------------------------------------
    async def tick(self, now: datetime | None = None) -> TickResult:
        """Send what is due at ``now`` (default: the clock). Never raises."""
        if self._lock.locked():  # the previous tick is still sending
            return TickResult()
        async with self._lock:
            total = TickResult()
            try:
                self._forget_old_chats()
                for _ in range(self.max_batches):
                    at = now or self.clock.now()
                    if self.hold_until is not None and at < self.hold_until:
                        break
                    rows = await self._run(self._claim, at)
                    if not rows:
                        break
                    total += await self._process(rows, at)
                    if len(rows) < self.batch:
                        break
            except Exception:
                log.exception("dispatcher tick failed; the claimed rows return when their lease ends")
            if total.total:
                log.info("dispatched: %s", total)
            return total

    def _claim(self, now: datetime) -> list[outbox.Outbox]:
        with self.db.session() as session:
            return outbox.claim(session, now=now, worker=self.worker, lease_until=now + self.lease,
                                limit=self.batch)

    async def _process(self, rows: list[outbox.Outbox], now: datetime) -> TickResult:
        counts: dict[str, int] = defaultdict(int)
        counts["claimed"] = len(rows)
        ready: list[outbox.Outbox] = []
        for row in rows:
            verdict = self._too_late(row, now)
            if verdict:
                self._finish(counts, "expired", outbox.mark_expired, row, reason=verdict)
            elif row.attempts > self.max_attempts:
                self._finish(counts, "failed", outbox.mark_failed, row, error=f"gave up: {row.last_error}")
            else:
                ready.append(row)
        jobs = await self._run(self._render, ready, now, counts)
        by_chat: dict[int, list[_Job]] = defaultdict(list)
        for job in jobs:
            by_chat[job.chat_id].append(job)
        gate = asyncio.Semaphore(self.concurrency)
        # A kept chat reply never overtakes an earlier one of its chat that waits for a retry (outside this
        # batch, or failing within it): it is given back to wait behind it, its attempt not counted.
        held = await self._run(self._earlier_replies, [job.row for job in jobs])

        async def send_chat(chat_jobs: list[_Job]) -> None:
            async with gate:
                behind: datetime | None = None
                for n, job in enumerate(chat_jobs):
                    wait = held.get(job.row.id, behind) if job.row.kind == kept_replies.REPLY else None
                    if wait is not None:
                        later = max(wait, self.clock.now()) + timedelta(seconds=1)
                        self._finish(counts, None, outbox.release, job.row, not_before=later)
                        behind = max(behind or later, later)
                        continue
                    if not await self._send(job, counts):  # the person cannot be reached: stop here
                        for rest in chat_jobs[n + 1:]:
                            self._finish(counts, "cancelled", outbox.mark_cancelled, rest.row, reason="unreachable")
                        return
                    if job.retry_at is not None and job.row.kind == kept_replies.REPLY:
                        behind = max(behind or job.retry_at, job.retry_at)

        results = await asyncio.gather(*(send_chat(j) for j in by_chat.values()), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                log.error("sending a chat's messages failed", exc_info=result)
        await self._recorded()
        return TickResult(**{f.name: counts[f.name] for f in fields(TickResult)})

    def _earlier_replies(self, rows: list[outbox.Outbox]) -> dict[int, datetime]:
        if not any(row.kind == kept_replies.REPLY for row in rows):
            return {}
        with self.db.session() as session:
            return kept_replies.earlier_replies(session, rows)

    # -- rules ---------------------------------------------------------------------------------------------
    def _too_late(self, row: outbox.Outbox, now: datetime) -> str | None:
        payload = row.payload or {}
        grace = self.settings.grace
        if "grace_seconds" in payload:
            try:
                grace = timedelta(seconds=float(payload["grace_seconds"]))
            except (TypeError, ValueError):
                pass
        if now > row.due_at + grace:
            return f"late: due {row.due_at.isoformat()}, grace {grace}"
        tz = payload.get("tz")
        if tz and schedule.in_quiet_hours(now.astimezone(schedule.zone(tz))):
            return "quiet hours"
        return None

    def _render(self, rows: list[outbox.Outbox], now: datetime, counts: dict[str, int]) -> list[_Job]:
        jobs: list[_Job] = []
        if not rows:
            return jobs
        with self.db.session() as session:
            outbox.preload(session, rows)  # families, people, memberships of the batch: a few queries in all
            reminder_flows.preload(session, rows)  # the massage slots' siblings and the massages done
            for row in rows:
                fn = RENDERERS.get(row.kind)
                if fn is None:
                    self._finish(counts, "failed", outbox.mark_failed, row, error=f"no renderer for {row.kind}",
                                 session=session)
                    continue
                try:
                    rendered = fn(session, row, self.content, now)
                except Exception as exc:
                    log.exception("rendering outbox row %s (%s) failed", row.id, row.kind)
                    self._finish(counts, "failed", outbox.mark_failed, row, error=f"render: {exc!r}",
                                 session=session)
                    continue
                chat_id = row.chat_id
                if chat_id is None and row.user_id is not None:
                    person = outbox.user(session, row.user_id)
                    chat_id = person.chat_id if person else None
                if rendered is None or chat_id is None:
                    self._finish(counts, "cancelled", outbox.mark_cancelled, row, reason="nothing to send",
                                 session=session)
                    continue
                jobs.append(_Job(row, chat_id, rendered))
        return jobs

    def _backoff(self, attempts: int) -> timedelta:
        return min(self.backoff * (2 ** max(attempts - 1, 0)), self.max_backoff)

    # -- sending -------------------------------------------------------------------------------------------
    async def _pace(self, chat_id: int) -> None:
        if self.per_chat_gap <= 0:
            return
        last = self._last_sent.get(chat_id)
        if last is not None:
            wait = self.per_chat_gap - (self._monotonic() - last)
            if wait > 0:
                await self._sleep(wait)

    def _forget_old_chats(self) -> None:
        if len(self._last_sent) > 10_000 or self.per_chat_gap <= 0:
            horizon = self._monotonic() - max(self.per_chat_gap, 1.0)
            self._last_sent = {c: t for c, t in self._last_sent.items() if t >= horizon}

    async def _deliver(self, chat_id: int, rendered: Rendered, kind: str = ""):
        markup = inline(rendered.buttons) if rendered.buttons else None
        # Paid broadcast (PAID_BROADCAST=true): Telegram lets these through at up to 1,000/s for 0.1 Star each.
        extra = {"allow_paid_broadcast": True} if self.paid_broadcast else {}
        if identities.is_whatsapp_id(chat_id):  # WhatsApp: the row's kind picks the template outside the window
            extra = {"api_kwargs": {WHATSAPP_HINT: kind}} if rendered.photo is not None else {WHATSAPP_HINT: kind}
        if rendered.photo is not None:
            photo = rendered.photo
            if isinstance(photo, str):
                with open(photo, "rb") as handle:
                    return await self.bot.send_photo(chat_id, handle, caption=rendered.text, reply_markup=markup,
                                                     **extra)
            return await self.bot.send_photo(chat_id, photo, caption=rendered.text, reply_markup=markup, **extra)
        # The lean sendMessage (bot/core/chat_privacy.py): only the message id is kept, so no PTB Message is built.
        return await self.bot.send_text(chat_id, rendered.text, reply_markup=markup, **extra)

    async def _send(self, job: _Job, counts: dict[str, int]) -> bool:
        """Send one row and record the result; False when the person turned out to be unreachable."""
        row = job.row
        now = self.clock.now()
        if self.hold_until is not None and now < self.hold_until:
            self._finish(counts, None, outbox.release, row, not_before=self.hold_until)
            return True
        if row.lease_until is not None and now >= row.lease_until:
            log.warning("lease of outbox row %s ran out before sending; leaving it to the next claim", row.id)
            return True
        await self._pace(job.chat_id)
        try:
            message = await self._deliver(job.chat_id, job.rendered, job.row.kind)
        except RetryAfter as exc:
            wait = timedelta(seconds=max(_retry_after_seconds(exc), 1.0))
            now = self.clock.now()
            self.hold_until = max(self.hold_until or now, now + wait)
            log.warning("Telegram asks to wait %s (row %s)", wait, row.id)
            self._finish(counts, "retried", outbox.mark_retry, row, not_before=now + wait, error=f"429: {exc}")
            job.retry_at = now + wait
            return True
        except Forbidden as exc:
            if await self._run(self._unreachable, job, str(exc)):
                counts["failed"] += 1
            return False
        except BadRequest as exc:
            if "chat not found" in str(exc).lower() or "user is deactivated" in str(exc).lower():
                if await self._run(self._unreachable, job, str(exc)):
                    counts["failed"] += 1
                return False
            log.error("Telegram refused outbox row %s (%s): %s", row.id, row.kind, exc)
            self._finish(counts, "failed", outbox.mark_failed, row, error=f"400: {exc}")
            return True
        except (TelegramError, OSError) as exc:
            self._retry_or_fail(job, f"{type(exc).__name__}: {exc}", counts)
            return True
        except Exception as exc:  # a bug: never let it stop the dispatcher
            log.exception("sending outbox row %s failed unexpectedly", row.id)
            self._retry_or_fail(job, f"{type(exc).__name__}: {exc}", counts)
            return True
        finally:
            if self.per_chat_gap > 0:
                self._last_sent[job.chat_id] = self._monotonic()
        self._finish(counts, "sent", outbox.mark_sent, row, now=self.clock.now(),
                     message_id=getattr(message, "message_id", None))
        return True

    def _retry_or_fail(self, job: _Job, error: str, counts: dict[str, int]) -> None:
        row = job.row
        if row.attempts >= self.max_attempts:
            log.warning("giving up on outbox row %s after %s attempts: %s", row.id, row.attempts, error)
            self._finish(counts, "failed", outbox.mark_failed, row, error=error)
            return
        not_before = self.clock.now() + self._backoff(row.attempts)
        log.info("outbox row %s will be retried from %s: %s", row.id, not_before.isoformat(), error)
        self._finish(counts, "retried", outbox.mark_retry, row, not_before=not_before, error=error)
        job.retry_at = not_before

    def _unreachable(self, job: _Job, reason: str) -> bool:
        """Record the row failed and the person unreachable (their pending rows cancelled); False on error."""
        log.warning("chat %s cannot be reached: %s", job.chat_id, reason)
        try:
            with self.db.session() as session:
                outbox.mark_failed(session, job.row.id, worker=self.worker, error=f"unreachable: {reason}")
                users.mark_unreachable(session, chat_id=job.chat_id, reason=reason, now=self.clock.now())
                outbox.cancel_pending(session, chat_id=job.chat_id, reason="unreachable")
            return True
        except Exception:
            log.exception("could not record that chat %s is unreachable", job.chat_id)
            return False

    def _finish(self, counts, what: str | None, mark, row, *, session=None, **kwargs) -> None:
        """Record one row's result: in ``session`` now, or by the writer, as soon as it can (:meth:`_record`)."""
        if what:
            counts[what] += 1
        if session is None:
            self._results.append((what, mark, row.id, kwargs))
            if len(self._results) >= self.concurrency:
                self._write_now.set()
            if self._writer is None or self._writer.done():
                self._writer = asyncio.get_running_loop().create_task(self._write_pending())
            return
        try:
            if not mark(session, row.id, worker=self.worker, **kwargs):
                log.warning("outbox row %s was taken over before it was recorded as %s", row.id, what or "released")
        except Exception:
            log.exception("could not record outbox row %s as %s", row.id, what or "released")

    async def _run(self, fn, *args):
        """Database work: in the runtime's thread pool when it has one (PostgreSQL), else here."""
        run_sync = getattr(self.rt, "run_sync", None)
        if run_sync is None:
            return fn(*args)
        return await run_sync(fn, *args)

    async def _write_pending(self) -> None:
        """The writer: commit the results that came in, again and again until none are left. It waits for
        ``RECORD_EVERY`` seconds or ``concurrency`` results, whichever comes first, and results that arrive
        while one commit is being written go into the next one (a group commit)."""
        while self._results:
            if len(self._results) < self.concurrency and not self._write_now.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._write_now.wait(), RECORD_EVERY)
            self._write_now.clear()
            results, self._results = self._results, []
            try:
                await self._run(self._flush, results)
            except Exception:  # _flush logs its own failures; this is a bug
                log.exception("recording %d outbox results failed", len(results))

    async def _recorded(self) -> None:
        """Wait until every result so far is committed (the end of a batch)."""
        while self._results or (self._writer is not None and not self._writer.done()):
            self._write_now.set()
            if self._writer is None or self._writer.done():
                self._writer = asyncio.get_running_loop().create_task(self._write_pending())
            await asyncio.shield(self._writer)

    def _flush(self, results: list[tuple]) -> None:
        """Write ``results`` in one transaction (one by one if that fails; the lease covers the rest)."""
        if not results:
            return
        if all(mark is outbox.mark_sent for _, mark, _, _ in results):  # the usual case: one statement
            try:
                with self.db.engine.begin() as connection:
                    sent = [(row_id, kwargs["now"], kwargs.get("message_id")) for _, _, row_id, kwargs in results]
                    done = outbox.mark_sent_many(connection, sent, worker=self.worker)
                if 0 <= done < len(sent):
                    log.warning("%d of %d sent outbox rows were taken over before they were recorded",
                                len(sent) - done, len(sent))
                return
            except Exception:
                log.exception("could not record %d sent rows together; trying one by one", len(results))
                self._one_by_one(results)
                return
        try:
            with self.db.session() as session:
                sent = [(row_id, kwargs["now"], kwargs.get("message_id"))
                        for _, mark, row_id, kwargs in results if mark is outbox.mark_sent]
                done = outbox.mark_sent_many(session, sent, worker=self.worker)  # one statement for them all
                if 0 <= done < len(sent):
                    log.warning("%d of %d sent outbox rows were taken over before they were recorded",
                                len(sent) - done, len(sent))
                for what, mark, row_id, kwargs in results:
                    if mark is outbox.mark_sent:
                        continue
                    if not mark(session, row_id, worker=self.worker, **kwargs):
                        log.warning("outbox row %s was taken over before it was recorded as %s", row_id,
                                    what or "released")
            return
        except Exception:
            log.exception("could not record %d results together; trying one by one", len(results))
        self._one_by_one(results)

    def _one_by_one(self, results: list[tuple]) -> None:
        for what, mark, row_id, kwargs in results:
            try:
                with self.db.session() as session:
                    mark(session, row_id, worker=self.worker, **kwargs)
            except Exception:
                log.exception("could not record outbox row %s as %s", row_id, what or "released")


async def dispatch_once(runtime, bot, now: datetime | None = None, **options) -> TickResult:
    """One tick with a fresh dispatcher (the simulator and scripts): sends what is due now."""
    options.setdefault("per_chat_gap", 0.0)
    return await Dispatcher(runtime, bot, **options).tick(now)
