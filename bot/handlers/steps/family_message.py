"""Nobody left unheard (issue 23): free text of a family that no conversation was waiting for and that is not
small talk goes to a person at once, as a family message ("💬 PESAN KELUARGA") to every midwife of its
facility, with "Balas", reminded until answered (bot/flows/questions.py); further messages while it is
unanswered join it. The family is told the midwife will read it, with the safety net. A family without a
facility (or whose facility has no midwife on the bot yet) is told to call its midwife or puskesmas now; the
message is kept and sent when the family links (bot/handlers/steps/facility_link.py).
"""

from __future__ import annotations

from bot.chat.keyboards import inline
from bot.core.turn import Outgoing, Turn
from bot.flows import desk
from bot.flows import questions as flow
from bot.flows.family_contacts import remember_on_send
from storage import facilities
from storage import families as family_store
from storage import questions as store
from storage.models import Family, User


def send_outcome(turn: Turn, out: flow.Outcome) -> None:
    """Queue what a questions rule returned: new messages (remembered for later edits) and edits."""
    for chat_id, text, buttons, remember in out.sends:
        sent = turn.send(chat_id, text, inline(buttons) if buttons else None)
        if remember is not None:
            remember_on_send(turn, sent, *remember)
    for chat_id, message_id, text, buttons in out.edits:
        turn.outgoing.append(Outgoing("edit", chat_id=chat_id, message_id=message_id, text=text,
                                      keyboard=inline(buttons) if buttons else None))


def person_word(turn: Turn, user: User | None, *, short: bool = False) -> str:
    """"Ibu" / "Bapak" (or "Bu" / "Pak") for who is writing; both for a companion or someone unknown."""
    m = family_store.membership_of(turn.session, user.id) if user is not None else None
    role = m.role if m is not None and m.role in (family_store.MOTHER, family_store.HUSBAND) else "other"
    return turn.t(f"common.{'call' if short else 'person'}_{role}")


def forward(turn: Turn, user: User, family: Family, text: str) -> None:
    """Forward the text as a family message and tell the writer what happens next."""
    out = flow.ask(turn.session, turn.content, family=family, asker=user, text=text[: store.TEXT_MAX],
                   now=turn.now, every=turn.settings.question_repeat, kind=store.FAMILY)
    send_outcome(turn, out)
    facility = facilities.get(turn.session, family.facility_id) if family.facility_id else None
    who = person_word(turn, user)
    if facility is None:
        turn.reply(turn.t("desk.family_kept", sapaan=who) + "\n\n" + turn.t("danger.net"))
    elif not out.delivered:
        turn.reply(turn.t("desk.family_no_midwife", fasilitas=facility.name, sapaan=who) + "\n\n"
                   + turn.t("danger.net"))
    elif out.joined:
        turn.reply(turn.t("desk.family_joined", fasilitas=facility.name) + "\n\n" + turn.t("danger.net_short"))
    else:
        closed = not desk.is_open(facility.hours, turn.now, facility.timezone)
        net = (turn.t("desk.ask_closed", fasilitas=facility.name, jam=facility.hours) if closed  # it has the net
               else turn.t("danger.net"))
        turn.reply(turn.t("desk.family_forwarded", fasilitas=facility.name, sapaan=who) + "\n\n" + net)
