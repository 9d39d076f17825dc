"""Replies that matter are kept until delivered.

A turn sends its replies right after the commit and retries a transient failure twice within seconds
(bot/core/turn.py). When that is not enough — Telegram answering 5xx for a while, a long 429, a dropped network,
a 400 "chat not found" — the reply (the next question, a danger-sign advice, an acknowledgement) is not
given up: :func:`keep` writes it into the durable outbox as a ``reply`` row, due at once. The dispatcher
(bot/reminders/dispatcher.py), which already does this for reminders, then sends it with back-off (30 s, 1, 2, 4 min
…, ``max_attempts``), also after a restart, within ``GRACE`` (two hours: later than that, the question has
been asked again or has lost its point). Once a turn kept one reply for a chat, the later ones of the same
turn for that chat are kept too, so the person reads them in order; and a later turn's reply to a chat whose
earlier reply still waits in the outbox is kept behind it (:func:`kept_until`: the runtime remembers which chats
have one, so other chats pay nothing), as the dispatcher holds a kept reply back while an earlier one of the
same chat waits for its retry (bot/reminders/dispatcher.py).

"Chat not found" is handled as the dispatcher does: the person is marked unreachable and her pending rows
are cancelled (an update from her marks her reachable again and brings her reminders back) — but the reply
itself is kept, so she is never silently left without the next question.

Kept: text messages and edits (re-sent as a new message) with their buttons, and photos given as a file
path. Not kept: a button's toast, a keyboard removal, a document (an export, asked for again in a moment).
Personal data: a kept row carries the text; ``/hapus`` clears the payload of the person's rows like every
other outbox row (storage.families.forget_person).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from telegram import InlineKeyboardMarkup

from storage import families as family_store
from storage import kept_replies, outbox, users

log = logging.getLogger(__name__)

KIND = kept_replies.REPLY
GRACE = timedelta(hours=2)
_KEPT = "_reply_delivery_kept_chats"


def keepable(out: Any) -> bool:
    if out.kind in ("send", "edit"):
        return bool(out.text) and out.chat_id is not None
    return out.kind == "photo" and isinstance(out.data, str) and out.chat_id is not None


def buttons_of(keyboard: InlineKeyboardMarkup | None) -> list[list[list[str]]]:
    """An inline keyboard as rows of [label, data] (``url:…`` for a link), as bot.keyboards.inline takes."""
    if keyboard is None:
        return []
    rows = []
    for row in keyboard.inline_keyboard:
        out = []
        for button in row:
            if button.callback_data is not None:
                out.append([button.text, str(button.callback_data)])
            elif button.url is not None:
                out.append([button.text, f"url:{button.url}"])
        if out:
            rows.append(out)
    return rows


def already_kept(turn: Any, out: Any) -> bool:
    """True when an earlier reply of this turn to the same chat was kept: this one must follow it."""
    return out.chat_id in turn.notes.get(_KEPT, ()) and keepable(out)


def kept_chats(rt: Any) -> set[int]:
    """The chats with a kept reply still to be sent (read from the outbox once per process)."""
    if rt.kept_chats is None:
        with rt.db.session() as session:
            rt.kept_chats = kept_replies.open_reply_chats(session)
    return rt.kept_chats


def kept_until(turn: Any, out: Any) -> datetime | None:
    """When the latest earlier reply of ``out``'s chat kept in the outbox may go; None when there is none (then
    the chat is forgotten). Called only for a chat in :func:`kept_chats`; it reads the database."""
    with turn.rt.db.session() as session:
        until = kept_replies.kept_reply_until(session, out.chat_id)
    if until is None:
        turn.rt.kept_chats.discard(out.chat_id)
    return until


def keep(turn: Any, out: Any, reason: str, not_before: datetime | None = None) -> bool:
    """Write ``out`` into the outbox as a ``reply`` row (once per update and position); True if kept.

    It writes to the database: the turn calls it through ``Runtime.run_sync`` (off the loop on PostgreSQL),
    as it does ``unreachable``."""
    if not keepable(out):
        return False
    index = next((i for i, o in enumerate(turn.outgoing) if o is out), len(turn.outgoing))
    update_id = turn.update.update_id
    now = turn.rt.clock.now()
    payload: dict[str, Any] = {"text": out.text or "", "buttons": buttons_of(out.keyboard),
                               "grace_seconds": GRACE.total_seconds(), "update_id": update_id}
    if out.kind == "photo":
        payload["photo"] = out.data
    try:
        with turn.rt.db.session() as session:
            person = users.get_by_telegram_id(session, out.chat_id)
            membership = family_store.membership_of(session, person.id) if person is not None else None
            added = outbox.insert(
                session, dedupe_key=f"reply:{update_id}:{index}", kind=KIND, due_at=not_before or now, now=now,
                family_id=membership.family_id if membership else None,
                user_id=person.id if person is not None else None, chat_id=out.chat_id, payload=payload,
            )
    except Exception:
        log.exception("could not keep the reply of update %s for chat %s", update_id, out.chat_id)
        return False
    turn.notes.setdefault(_KEPT, set()).add(out.chat_id)
    if turn.rt.kept_chats is not None:
        turn.rt.kept_chats.add(out.chat_id)
    log.warning("reply %s of update %s to chat %s kept in the outbox (%s)%s", index, update_id, out.chat_id,
                reason, "" if added else ", already there")
    return True


def unreachable(turn: Any, chat_id: int, reason: str) -> None:
    """As the dispatcher does for "chat not found": the person is unreachable, her pending rows cancelled."""
    try:
        with turn.rt.db.session() as session:
            users.mark_unreachable(session, chat_id=chat_id, reason=reason[:200], now=turn.rt.clock.now())
            outbox.cancel_pending(session, chat_id=chat_id, reason="unreachable")
    except Exception:
        log.exception("could not mark chat %s unreachable", chat_id)
