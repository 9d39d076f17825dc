"""People on a channel other than Telegram (WhatsApp): their internal person id, window, opt-in and what waits.

A WhatsApp person is keyed by (channel, address), the address being the provider's id (``wa_id``), never a phone
number. They get an internal person id in a range no Telegram user id reaches and that JavaScript still holds
exactly: Telegram user ids have at most 52 significant bits (< 4.6e15), 2^53 ≈ 9.0e15, so
``WHATSAPP_ID_BASE = 6e15`` + the row id. Everything keyed by a user or chat id (families, members, chat state,
update records, sent-message records) then works unchanged with that id.

Bridged updates get ids of their own range too (:func:`update_id`): far above Telegram's (32-bit) update ids.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from storage.models import ChannelIdentity, Facility, Family, Membership, User

WHATSAPP = "whatsapp"
WHATSAPP_ID_BASE = 6_000_000_000_000_000
JS_SAFE = 2**53 - 1
UPDATE_ID_BASE = 1 << 40  # Telegram's update ids are 32-bit
UPDATES_PER_PERSON = 1 << 24


def is_whatsapp_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and WHATSAPP_ID_BASE < value <= JS_SAFE


def person_id_of(row_id: int) -> int:
    return WHATSAPP_ID_BASE + row_id


def update_id(row: ChannelIdentity) -> int:
    """A bridged update's id: unique per person and inbound message, and never one of Telegram's."""
    assert row.id is not None
    return UPDATE_ID_BASE + row.id * UPDATES_PER_PERSON + row.inbound_count % UPDATES_PER_PERSON


def by_address(session: Session, channel: str, address: str) -> ChannelIdentity | None:
    return session.exec(select(ChannelIdentity).where(ChannelIdentity.channel == channel,
                                                      ChannelIdentity.address == address)).first()


def by_person(session: Session, person_id: int) -> ChannelIdentity | None:
    if not is_whatsapp_id(person_id):
        return None
    return session.get(ChannelIdentity, person_id - WHATSAPP_ID_BASE)


def resolve(session: Session, channel: str, address: str, *, name: str, now: datetime) -> tuple[ChannelIdentity, bool]:
    """The person at (channel, address), created on first contact; (row, created)."""
    row = by_address(session, channel, address)
    if row is not None:
        if name and name != row.profile_name:
            row.profile_name = name[:128]
            session.add(row)
        return row, False
    row = ChannelIdentity(channel=channel, address=address, profile_name=name[:128], created_at=now,
                          choices={}, held=[])
    session.add(row)
    session.flush()
    row.person_id = person_id_of(row.id)
    session.add(row)
    session.flush()
    return row, True


def saw_inbound(session: Session, row: ChannelIdentity, sent_at: datetime) -> int:
    """Count one inbound message and move the window (never backwards); returns the bridged update's id."""
    row.inbound_count += 1
    if row.last_inbound_at is None or sent_at > row.last_inbound_at:
        row.last_inbound_at = sent_at
    session.add(row)
    return update_id(row)


def last_inbound(session: Session, channel: str, address: str) -> datetime | None:
    row = by_address(session, channel, address)
    return row.last_inbound_at if row is not None else None


def inbound_times(session: Session, channel: str) -> dict[str, datetime]:
    rows = session.exec(select(ChannelIdentity.address, ChannelIdentity.last_inbound_at).where(
        ChannelIdentity.channel == channel, ChannelIdentity.last_inbound_at.is_not(None))).all()
    return {address: at for address, at in rows}


def opt_in(session: Session, row: ChannelIdentity, version: str, now: datetime) -> None:
    row.opt_in_version = version
    row.opted_in_at = now
    session.add(row)


def pause(session: Session, row: ChannelIdentity, now: datetime | None) -> None:
    """Pause (``now``) or resume (None) what the bot sends on its own."""
    row.paused_at = now
    session.add(row)


def keep_text(session: Session, row: ChannelIdentity, text: str) -> None:
    row.pending_text = text[:1024]
    session.add(row)


RECENT = 60  # choice ids of earlier messages still accepted when pressed


def sent(session: Session, person_id: int, choices: list[tuple[str, str]] | None) -> int:
    """Record one message sent to the person; returns its message id (counted per person, as Telegram's are per
    chat). ``choices``: the ones it showed (a typed number or title is read against the latest), [] for a
    message without choices (a typed number is then an answer, not a choice), None for a template (its
    payloads are accepted when pressed, the latest choices stay)."""
    row = session.get(ChannelIdentity, person_id - WHATSAPP_ID_BASE)
    if row is None:
        return 0
    row.sent_count += 1
    memory = dict(row.choices or {})
    if choices is not None:
        memory["latest"] = [list(c) for c in choices]
    recent = [i for i in memory.get("recent", []) if i not in {c[0] for c in choices or ()}]
    memory["recent"] = (recent + [c[0] for c in choices or ()])[-RECENT:]
    row.choices = memory
    session.add(row)
    return row.sent_count


def accept_payloads(session: Session, person_id: int, payloads: list[str]) -> None:
    """A template's quick-reply payloads: accepted when pressed."""
    row = session.get(ChannelIdentity, person_id - WHATSAPP_ID_BASE)
    if row is not None:
        memory = dict(row.choices or {})
        memory["recent"] = ([i for i in memory.get("recent", []) if i not in payloads] + list(payloads))[-RECENT:]
        row.choices = memory
        session.add(row)


def hold(session: Session, person_id: int, message: dict) -> None:
    row = session.get(ChannelIdentity, person_id - WHATSAPP_ID_BASE)
    if row is not None:
        row.held = [*row.held, message]
        session.add(row)


def take_held(session: Session, person_id: int) -> list[dict]:
    """The held messages, in order, removed."""
    row = session.get(ChannelIdentity, person_id - WHATSAPP_ID_BASE)
    if row is None or not row.held:
        return []
    held, row.held = list(row.held), []
    session.add(row)
    return held


def family_words(session: Session, person_id: int) -> tuple[str | None, str, str, str]:
    """(the person's role in their active family, their own name, the mother's name, the facility's name) for a
    template's parameters; (None, "", "", "") without a family."""
    person = session.exec(select(User).where(User.telegram_id == person_id)).first()
    found = session.exec(select(Membership).where(Membership.user_id == person.id, Membership.active)).first() \
        if person is not None else None
    if person is None or found is None:
        return None, "", "", ""
    mother = session.exec(select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.family_id == found.family_id, Membership.role == "mother", Membership.active)).first()
    family = session.get(Family, found.family_id)
    facility = session.get(Facility, family.facility_id) if family is not None and family.facility_id else None
    mother_name = (mother.display_name or mother.first_name or "") if mother is not None else ""
    own = person.display_name or person.first_name or ""
    return found.role, own, mother_name, facility.name if facility is not None else ""


def forget(session: Session, person_id: int) -> None:
    """/hapus on WhatsApp, after its confirmation went out: the address (the phone number) is removed, so a
    message from that number later is a new person."""
    row = by_person(session, person_id)
    if row is not None:
        session.delete(row)
