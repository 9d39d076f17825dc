"""The database tables (SQLModel).

One family is one birth. A Telegram person is a ``User``; ``Membership`` links users to a family with a
role (mother, husband, companion). Midwives are ``Staff`` of a ``Facility``. The conversation of every
chat lives in ``ChatState``; scheduled messages are ``Outbox`` rows (the database is the truth of the
schedule). Every instant is stored in UTC (see ``storage.types.UTCDateTime``).

Changing a table? Add an Alembic revision: ``python -m bot db revision -m "what changed"``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


def _utc(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


def _json(**kwargs: Any) -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False), **kwargs)


class BotMeta(SQLModel, table=True):
    """Small facts the bot learns about itself (e.g. its username from getMe)."""

    __tablename__ = "bot_meta"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(default="", max_length=512)


class User(SQLModel, table=True):
    """A Telegram person who talked to the bot."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int | None = Field(default=None, sa_type=BigInteger, unique=True, index=True)
    chat_id: int | None = Field(default=None, sa_type=BigInteger)
    first_name: str | None = Field(default=None, max_length=128)
    display_name: str | None = Field(default=None, max_length=64)
    language_code: str | None = Field(default=None, max_length=16)
    consent_at: datetime | None = _utc(default=None)
    consent_research: bool = Field(default=False)
    consent_version: str | None = Field(default=None, max_length=32)  # the consent text answered (see flows/privacy)
    reachable: bool = Field(default=True)
    unreachable_reason: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)  # shared with Telegram's contact button (optional)
    created_at: datetime = _utc()
    deleted_at: datetime | None = _utc(default=None)


class Facility(SQLModel, table=True):
    """A puskesmas, TPMB or PMB whose midwives follow families."""

    __tablename__ = "facilities"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=16)
    name: str = Field(max_length=128)
    timezone: str = Field(default="Asia/Jakarta", max_length=64)
    registration_code: str = Field(unique=True, index=True, max_length=32)
    hours: str | None = Field(default=None, max_length=32)  # "07:00-16:00" local; None: no hours set
    default_protocol: str | None = Field(default=None, max_length=32)  # None = "default"
    ethics_approval: str | None = Field(default=None, max_length=64)  # the study's ethics approval number
    created_at: datetime = _utc()


class Staff(SQLModel, table=True):
    """A midwife (or coordinator) of one facility."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("user_id", "facility_id", name="uq_staff_user_facility"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    facility_id: int = Field(foreign_key="facilities.id", index=True)
    role: str = Field(default="midwife", max_length=16)  # midwife | coordinator
    name: str | None = Field(default=None, max_length=128)
    invited_by: int | None = Field(default=None, foreign_key="users.id")
    active: bool = Field(default=True)
    created_at: datetime = _utc()


class Invite(SQLModel, table=True):
    """A one-time code that makes whoever opens it a midwife of a facility."""

    __tablename__ = "invites"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=32)
    facility_id: int = Field(foreign_key="facilities.id")
    role: str = Field(default="midwife", max_length=16)
    name: str | None = Field(default=None, max_length=128)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = _utc()
    expires_at: datetime = _utc()
    used_at: datetime | None = _utc(default=None)
    used_by: int | None = Field(default=None, foreign_key="users.id")
    revoked: bool = Field(default=False)


class Family(SQLModel, table=True):
    """One birth: the mother, her companions, the baby's birth date and the protocol followed."""

    __tablename__ = "families"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=16)  # stable pseudonymous code for exports
    link_code: str = Field(unique=True, index=True, max_length=32)  # renewable code to join the family
    facility_id: int | None = Field(default=None, foreign_key="facilities.id", index=True)
    birth_date: date | None = Field(default=None)
    timezone: str = Field(default="Asia/Jakarta", max_length=64)
    protocol_id: str = Field(default="default", max_length=32)
    protocol_version: int | None = Field(default=None)  # the protocol's version at enrolment
    birth_time: str | None = Field(default=None, max_length=5)  # local "HH:MM" when the mother gave it
    # Table 1 (optional, asked of the mother at registration; None = not answered)
    mother_age: int | None = Field(default=None)
    parity: int | None = Field(default=None)  # this baby is the mother's n-th child
    education: str | None = Field(default=None, max_length=16)
    work: str | None = Field(default=None, max_length=16)
    birth_mode: str | None = Field(default=None, max_length=16)  # normal | sesar | alat
    characteristics_skipped: bool | None = Field(default=None)  # True: "lewati semua" was tapped
    reminder_times: str | None = Field(default=None, max_length=64)  # "07:00,16:00"; None = protocol/config
    status: str = Field(default="active", max_length=16)  # active | finished | deleted
    reminders_paused: bool = Field(default=False)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = _utc()
    deleted_at: datetime | None = _utc(default=None)


class Membership(SQLModel, table=True):
    """A user's place in a family."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "family_id", name="uq_membership_user_family"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    family_id: int = Field(foreign_key="families.id", index=True)
    role: str = Field(max_length=16)  # mother | husband | companion
    active: bool = Field(default=True)
    joined_at: datetime = _utc()


class ChatState(SQLModel, table=True):
    """Where each person is in a conversation. Kept in the database so any process can continue it."""

    __tablename__ = "chat_states"

    telegram_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    flow: str = Field(default="idle", max_length=32)
    step: str = Field(default="", max_length=64)
    data: dict = _json()
    updated_at: datetime = _utc()


class MassageSession(SQLModel, table=True):
    """One guided (or self-reported) massage."""

    __tablename__ = "massage_sessions"

    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="families.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    protocol_id: str = Field(max_length=32)
    postpartum_day: int | None = Field(default=None)
    started_at: datetime = _utc()
    ended_at: datetime | None = _utc(default=None)
    duration_seconds: int | None = Field(default=None)
    status: str = Field(default="in_progress", max_length=16)  # in_progress | completed | stopped | logged
    stop_reason: str | None = Field(default=None, max_length=64)
    step_reached: str | None = Field(default=None, max_length=64)
    safety_answers: dict = _json()
    confirmed_by_mother_at: datetime | None = _utc(default=None)
    denied_by_mother_at: datetime | None = _utc(default=None)  # she answered "Belum" (not massaged)
    paced_until: datetime | None = _utc(default=None)  # hands-free timing started: when it ends
    comfortable: bool | None = Field(default=None)  # the mother's answer to "nyaman?" at the end


class MassageVitals(SQLModel, table=True):
    """Blood pressure, pulse and breathing a health worker took before a massage (seed 002's pre-check)."""

    __tablename__ = "massage_vitals"

    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="families.id", index=True)
    session_id: int | None = Field(default=None, foreign_key="massage_sessions.id")  # None: massage waited
    recorded_by: int | None = Field(default=None, foreign_key="users.id")
    measured_at: datetime = _utc()
    systolic: int
    diastolic: int
    pulse: int
    breathing: int
    normal: bool
    outside: str | None = Field(default=None, max_length=64)  # which values were outside normal, "td,nadi"


class Measurement(SQLModel, table=True):
    """One filling-in of an instrument (the checklist), before or after the massage days."""

    __tablename__ = "measurements"

    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="families.id", index=True)
    instrument_id: str = Field(max_length=32)
    instrument_version: int = Field(default=1)
    occasion: str = Field(max_length=16)  # pre | post | day1_pre | day1_post …
    started_by: int | None = Field(default=None, foreign_key="users.id")
    started_at: datetime = _utc()
    completed_at: datetime | None = _utc(default=None)
    score: int | None = Field(default=None)
    class_key: str | None = Field(default=None, max_length=32)
    window: str | None = Field(default=None, max_length=16)  # on_time | late | early | after_massage | skipped
    norm_class: str | None = Field(default=None, max_length=32)  # against the baby's day norm (content/day_norms)


class Answer(SQLModel, table=True):
    """One checklist answer, written the moment it is given. A correction updates the same row."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("measurement_id", "item_id", name="uq_answer_item"),)

    id: int | None = Field(default=None, primary_key=True)
    measurement_id: int = Field(foreign_key="measurements.id", index=True)
    item_id: str = Field(max_length=32)
    raw_value: str = Field(max_length=64)
    value_num: float | None = Field(default=None)
    score: int = Field(default=0)
    answered_by: int | None = Field(default=None, foreign_key="users.id")
    answered_at: datetime = _utc()
    via: str = Field(default="button", max_length=8)  # button | text


class Outbox(SQLModel, table=True):
    """A message the bot must send at ``due_at``: the schedule itself, claimed and sent by the dispatcher."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True, max_length=128)
    family_id: int | None = Field(default=None, foreign_key="families.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    chat_id: int | None = Field(default=None, sa_type=BigInteger)
    kind: str = Field(max_length=32)
    payload: dict = _json()
    due_at: datetime = _utc()
    status: str = Field(default="pending", max_length=16)  # pending|claimed|sent|failed|expired|cancelled
    lease_until: datetime | None = _utc(default=None)
    claimed_by: str | None = Field(default=None, max_length=64)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)
    sent_at: datetime | None = _utc(default=None)
    telegram_message_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = _utc()


class Alert(SQLModel, table=True):
    """A danger sign reported by a family, and who handled it."""

    __tablename__ = "alerts"

    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="families.id", index=True)
    facility_id: int | None = Field(default=None, foreign_key="facilities.id", index=True)
    sign_id: str = Field(max_length=48)
    source: str = Field(default="answer", max_length=16)  # answer | text
    raised_by: int | None = Field(default=None, foreign_key="users.id")
    raised_at: datetime = _utc()
    last_notified_at: datetime | None = _utc(default=None)
    repeats: int = Field(default=0)
    handled_by: int | None = Field(default=None, foreign_key="users.id")
    handled_at: datetime | None = _utc(default=None)
    # One alert per family and episode: further signs of the same episode point at its first alert.
    episode_id: int | None = Field(default=None, index=True)
    words: str | None = Field(default=None, max_length=500)  # the family's own words (removed by /hapus)
    reply: str | None = Field(default=None, max_length=1000)  # what the midwife wrote back (removed by /hapus)
    step: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # escalation step reached
    closed_reason: str | None = Field(default=None, max_length=32)  # e.g. family_deleted


class AlertEvent(SQLModel, table=True):
    """One step of an alert's life: who was told, when, who acknowledged (the escalation record)."""

    __tablename__ = "alert_events"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alerts.id", index=True)
    at: datetime = _utc()
    event: str = Field(max_length=24)  # sent | repeat | coordinator | family_told | acknowledged | ...
    step: int = Field(default=0)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    detail: dict = _json()


class AuditLog(SQLModel, table=True):
    """Who did what with the data (exports, deletions, invitations)."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _utc()
    actor_user_id: int | None = Field(default=None, foreign_key="users.id")
    actor: str = Field(default="", max_length=64)  # "telegram" | "cli" | …
    action: str = Field(max_length=32)
    facility_id: int | None = Field(default=None, foreign_key="facilities.id")
    rows: int = Field(default=0)
    detail: dict = _json()


class ProcessedUpdate(SQLModel, table=True):
    """Telegram update ids already handled, so a redelivered update is processed once."""

    __tablename__ = "processed_updates"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    seen_at: datetime = _utc(index=True)


class Question(SQLModel, table=True):
    """A family's question to its midwives ("Tanya bidan"), and when it was first answered."""

    __tablename__ = "questions"

    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="families.id", index=True)
    facility_id: int | None = Field(default=None, foreign_key="facilities.id", index=True)
    asked_by: int | None = Field(default=None, foreign_key="users.id")
    text: str = Field(max_length=2000)
    asked_at: datetime = _utc()
    answered_by: int | None = Field(default=None, foreign_key="users.id")
    answered_at: datetime | None = _utc(default=None)
    reminders: int = Field(default=0)
    # "question" (Tanya bidan) | "family" (free text the bot forwarded: a family message). Further messages
    # of the family while it is unanswered join it (``messages`` counts them), so a chatty family cannot
    # bury the others.
    kind: str = Field(default="question", max_length=16, sa_column_kwargs={"server_default": "question"})
    messages: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    # Who wrote a family message (user ids): the midwife's reply goes to them only, never automatically to
    # the other family member (a message may hold feelings the writer did not share with the family).
    writers: list | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class QuestionReply(SQLModel, table=True):
    """One message of a thread: a midwife's reply to a question, or a message she started (no question)."""

    __tablename__ = "question_replies"

    id: int | None = Field(default=None, primary_key=True)
    question_id: int | None = Field(default=None, foreign_key="questions.id", index=True)
    family_id: int = Field(foreign_key="families.id", index=True)
    staff_user_id: int | None = Field(default=None, foreign_key="users.id")
    text: str = Field(max_length=2000)
    sent_at: datetime = _utc()


class SentMessage(SQLModel, table=True):
    """A bot message worth updating later (an alert or a question shown to a midwife): where it is."""

    __tablename__ = "sent_messages"
    __table_args__ = (Index("ix_sent_messages_ref", "kind", "ref_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # alert | question
    ref_id: int
    chat_id: int = Field(sa_type=BigInteger)
    message_id: int = Field(sa_type=BigInteger)
    created_at: datetime = _utc()


class ChannelMessageSeen(SQLModel, table=True):
    """Inbound message ids already taken from a channel's webhook (WhatsApp redelivers until it gets a 200),
    keyed by the channel and the provider's string id, so a replayed message is processed once."""

    __tablename__ = "channel_messages_seen"

    channel: str = Field(primary_key=True, max_length=16)
    provider_id: str = Field(primary_key=True, max_length=255)
    seen_at: datetime = _utc(index=True)


class ChannelIdentity(SQLModel, table=True):
    """A person reached on a channel other than Telegram (WhatsApp), keyed by (channel, the provider's address:
    the ``wa_id``), never by a phone number. ``person_id`` is the internal id everything keyed by a Telegram
    user or chat id uses for them (``storage.identities.WHATSAPP_ID_BASE`` + ``id``)."""

    __tablename__ = "channel_identities"
    # AUTOINCREMENT on SQLite: a row id (and so a person id and its update ids) is never given out twice, even
    # after /hapus removed the newest person
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_channel_identities_address"),
                      {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=64)
    person_id: int | None = Field(default=None, sa_type=BigInteger, unique=True)
    profile_name: str = Field(default="", max_length=128)
    created_at: datetime = _utc()
    last_inbound_at: datetime | None = _utc(default=None)
    opt_in_version: str | None = Field(default=None, max_length=16)
    opted_in_at: datetime | None = _utc(default=None)
    paused_at: datetime | None = _utc(default=None)
    inbound_count: int = Field(default=0)
    sent_count: int = Field(default=0)
    # the choices last shown ({"latest": [[id, title], …], "recent": [id, …]}), the text that came before the opt-in, the messages held while
    # the 24-hour window was closed ([{…}, …], delivered in order after the next inbound message)
    choices: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    pending_text: str = Field(default="", max_length=1024)
    held: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class ChannelMessageStatus(SQLModel, table=True):
    """What a channel said became of a message the bot sent (WhatsApp's status callbacks: sent, delivered, read,
    failed), one row per callback. The person is kept by internal id, never by address or phone."""

    __tablename__ = "channel_message_statuses"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    provider_message_id: str = Field(max_length=255, index=True)
    person_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    status: str = Field(max_length=16)
    at: datetime = _utc(index=True)
    error_code: int | None = None
    error_title: str = Field(default="", max_length=128)
