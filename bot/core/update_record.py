"""The update record: each update id stored once (a redelivered one stops there), and a person marked
unreachable made reachable again by her own message. Shared by the turn (bot/core/turn.py, inside its
transaction) and the Application (bot/core/app.py, for updates no turn took), below both of them."""

from __future__ import annotations

import logging

from sqlmodel import Session
from telegram import Update
from telegram.ext import ContextTypes

from bot.core.runtime import Runtime
from bot.flows.schedule import reschedule_family
from storage import families, users
from storage import updates as processed_updates

log = logging.getLogger(__name__)

# Set on the update's CallbackContext once the update id is recorded, so that nothing records it twice
# (bot/core/app.py records the updates no turn handled).
RECORDED = "pijat_update_recorded"


def update_recorded(context: ContextTypes.DEFAULT_TYPE) -> bool:
    return bool(getattr(context, RECORDED, False))


def proves_reachable(update: Update) -> bool:
    """A private message or button press, or unblocking the bot, shows the chat works again."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != "private":
        return False
    if update.my_chat_member is not None:
        return update.my_chat_member.new_chat_member.status == "member"
    return update.message is not None or update.callback_query is not None


def reachable_again(session: Session, rt: Runtime, telegram_id: int) -> None:
    """Someone marked unreachable (blocked the bot, say) is back: reachable, and their reminders rescheduled."""
    person = users.get_by_telegram_id(session, telegram_id)
    if person is None or person.reachable or person.deleted_at is not None:
        return
    person.reachable = True
    person.unreachable_reason = None
    session.add(person)
    session.flush()
    membership = families.membership_of(session, person.id)
    if membership is not None:
        reschedule_family(session, membership.family_id, now=rt.clock.now(), settings=rt.settings)
    log.info("user %s can be reached again", person.id)


def record_update(session: Session, rt: Runtime, update: Update) -> bool:
    """Record the update id in ``session``; False if it was seen before (Telegram redelivered it).

    A first private message or button press from someone marked unreachable makes them reachable again,
    in the same transaction.
    """
    if not proves_reachable(update):
        return processed_updates.first_time(session, update.update_id, rt.clock.now())
    # The person is needed anyway (here and by the handler): looked up with the record, in one round trip.
    fresh, _person = processed_updates.first_time_with_person(session, update.update_id, rt.clock.now(),
                                                              update.effective_user.id)
    if fresh:
        reachable_again(session, rt, update.effective_user.id)
    return fresh
