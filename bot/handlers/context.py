"""What every family handler needs: who is speaking, their family, their place in the conversation,
and the small formatters and button checks they share."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from typing import Any

from bot.core.chat_privacy import private_chat_id
from bot.core.turn import Turn
from bot.flows import dates
from content.protocols import Protocol
from storage import chatstate, users
from storage import families as family_store
from storage.models import ChatState, Family, User


def remember_user(turn: Turn) -> User:
    """Find or create the person behind this update."""
    tg = turn.telegram_user
    return users.upsert(
        turn.session,
        telegram_id=tg.id,
        chat_id=private_chat_id(turn.update),  # never a group's id (bot/core/chat_privacy.py)
        first_name=tg.first_name,
        language_code=tg.language_code,
        now=turn.now,
    )


def consented_user(turn: Turn) -> User | None:
    """The person, if they agreed to the bot storing their data (else None: nothing is stored)."""
    if turn.user_id is None:
        return None
    user = users.get_by_telegram_id(turn.session, turn.user_id)
    if user is None or user.consent_at is None or user.deleted_at is not None:
        return None
    chat_id = private_chat_id(turn.update)
    if chat_id is not None and user.chat_id != chat_id:
        user.chat_id = chat_id
        turn.session.add(user)
    return user


def family_context(turn: Turn, *, reply: bool = True) -> tuple[User, Family] | None:
    """The consenting person and their active family; otherwise says what to do (and returns None)."""
    user = consented_user(turn)
    if user is None:
        if reply:
            _say(turn, turn.t("menu.need_start"))
        return None
    family = family_store.family_of(turn.session, user.id)
    if family is None:
        if reply:
            _say(turn, turn.t("common.not_registered"))
        return None
    return user, family


def reader_of(turn: Turn) -> dict[int, tuple[str, str]]:
    """Who reads this turn's messages, per chat, so that a text written for "Ibu/Bapak" reaches the husband
    as "Bapak" and the mother as "Ibu" (a companion, or someone whose role is not known yet, keeps both).
    Called by the engine after the handler (``Runtime.reader``, bot/core/turn.py); it looks people up only
    for the messages that need it. A role is the person's membership's, or the one chosen in a registration
    or a join still under way (their conversation state)."""
    generic = turn.t("common.reader_generic")
    chats = {out.chat_id or turn.chat_id for out in turn.outgoing if generic in (out.text or "")}
    readers: dict[int, tuple[str, str]] = {}
    for chat in chats - {None}:
        user = users.get_by_telegram_id(turn.session, chat)  # a private chat's id is the person's id
        if user is None:
            continue
        member = family_store.membership_of(turn.session, user.id)
        role = member.role if member is not None else chatstate.get(turn.session, chat).data.get("role")
        key = {"mother": "common.reader_mother", "husband": "common.reader_husband"}.get(role or "")
        if key is not None:
            readers[chat] = (generic, turn.t(key))
    return readers


def _say(turn: Turn, text: str) -> None:
    if turn.update.callback_query is not None:
        turn.answer(text, alert=True)
    else:
        turn.reply(text)


def state(turn: Turn) -> ChatState:
    return chatstate.get(turn.session, turn.user_id)


def put_state(turn: Turn, flow: str, step: str = "", data: dict | None = None) -> None:
    chatstate.put(turn.session, turn.user_id, flow=flow, step=step, data=data or {}, now=turn.now)


def clear_state(turn: Turn) -> None:
    chatstate.clear(turn.session, turn.user_id, now=turn.now)


def protocol_of(turn: Turn, family: Family) -> Protocol:
    return turn.content.protocols.get(family.protocol_id) or turn.content.default_protocol


def role_name(turn: Turn, role: str) -> str:
    return turn.t(f"family.role_{role}") if turn.content.has_text(f"family.role_{role}") else role


def zone_name(turn: Turn, timezone: str) -> str:
    key = f"family.tz_name_{timezone.split('/')[-1].lower()}"
    return turn.t(key) if turn.content.has_text(key) else timezone


def format_date(turn: Turn, value: date) -> str:
    months = turn.t("family.months").split(",")
    return turn.t("family.date", tgl=value.day, bulan=months[value.month - 1].strip(), tahun=value.year)


def today_day(turn: Turn, family: Family) -> int | None:
    if family.birth_date is None:
        return None
    return dates.postpartum_day(family.birth_date, turn.now, family.timezone, family.birth_time)


def members_text(turn: Turn, family_id: int, *, first_names: bool = False) -> str:
    """One line per member; ``first_names``: the first word of each name only (what a companion sees)."""
    def shown(name: str | None) -> str | None:
        return (name.split() or [None])[0] if first_names and name else name

    return "\n".join(
        turn.t("family.member_line", nama=shown(m.name) or role_name(turn, m.role), peran=role_name(turn, m.role))
        for m in family_store.members(turn.session, family_id)
    )


def stale(turn: Turn) -> None:
    turn.answer(turn.t("common.stale_button"))


def not_yours(turn: Turn) -> None:
    turn.answer(turn.t("menu.not_yours"), alert=True)


def parse_data(turn: Turn, count: int) -> list[str] | None:
    """The callback data split on ":" into exactly ``count`` parts, or None (a forged or old button)."""
    parts = (turn.callback_data or "").split(":")
    return parts if len(parts) == count else None


def parse_int(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def owned_row(turn: Turn, raw_id: str, fetch: Callable[[Any, int], Any]) -> tuple[User, Family, Any] | None:
    """The row a button names (``fetch(session, id)``), if it belongs to the presser's own family.

    Otherwise None, after a polite answer: an unknown id is a stale button, another family's is not theirs.
    """
    ctx = family_context(turn)
    if ctx is None:
        return None
    user, family = ctx
    row_id = parse_int(raw_id)
    row = fetch(turn.session, row_id) if row_id is not None else None
    if row is None:
        stale(turn)
        return None
    if row.family_id != family.id:
        not_yours(turn)
        return None
    return user, family, row


def clock_words(turn: Turn, at: time | None) -> str:
    """A clock time as people say it: "jam 9 pagi", "setengah 8 malam" (bot/flows/dates.clock_parts)."""
    if at is None:
        return "—"
    key, values = dates.clock_parts(at)
    return turn.t(f"common.clock.{key}", jam=values["jam"], waktu=turn.t(f"common.clock.part.{values['waktu']}"))


def address(turn: Turn, user: User) -> str:
    """How the bot addresses this person by name: "Ibu Siti", "Pak Budi", a companion's name alone."""
    name = user.display_name or user.first_name or ""
    if not name:
        return turn.t("common.address_none")
    member = family_store.membership_of(turn.session, user.id)
    role = member.role if member is not None else None
    key = {"mother": "common.address_mother", "husband": "common.address_husband"}.get(role or "",
                                                                                     "common.address_other")
    return turn.t(key, nama=name)
