"""Admission to a family: the newcomer's request waits for the approver's button (bot/flows/family_admission.py).

Flow: the newcomer opens the ``fam_`` link (or types the code), consents, says who they are and their name
(bot/handlers/family.py), then ``request_admission`` (bot/handlers/steps/join.py) keeps the request in their
conversation state (``join``/``wait``) and sends the approver "<name> ingin bergabung … [Setujui] [Tolak]".
The newcomer sees nothing of the family until approved. The buttons (``adm:ok:<user id>`` / ``adm:no:<user id>``) work only
for the approver, only while that request still waits, and only for the family's current code (renewing
the code voids every waiting request).
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler

from bot.core.turn import Turn, turn_handler
from bot.flows import family_admission as admission
from bot.flows import family_link
from bot.flows.schedule import reschedule_family
from bot.handlers.context import (
    family_context,
    members_text,
    not_yours,
    parse_data,
    parse_int,
    role_name,
    stale,
)
from bot.handlers.steps.join import JOIN, WAIT
from bot.handlers.steps.phone_question import ask_phone
from storage import chatstate
from storage import families as family_store
from storage.models import User


@turn_handler
def on_admission_button(turn: Turn) -> None:
    parts = parse_data(turn, 3)
    joiner_id = parse_int(parts[2]) if parts is not None and parts[1] in ("ok", "no") else None
    if joiner_id is None:
        stale(turn)
        return
    ctx = family_context(turn)
    if ctx is None:
        return
    presser, family = ctx
    chosen = admission.approver(turn.session, family)
    if chosen is None or chosen.user.id != presser.id:
        not_yours(turn)
        return
    joiner = turn.session.get(User, joiner_id)
    st = chatstate.get(turn.session, joiner.telegram_id) if joiner is not None and joiner.telegram_id else None
    if st is None or st.flow != JOIN or st.step != WAIT or not admission.request_matches(dict(st.data), family):
        turn.edit_markup(None)
        turn.answer(turn.t("family.join_request_stale"), alert=True)
        return
    wanted = dict(st.data).get("role")
    turn.edit_markup(None)
    chatstate.clear(turn.session, joiner.telegram_id, now=turn.now)
    if parts[1] == "no":
        turn.reply(turn.t("family.join_request_declined", nama=admission.display(joiner)))
        if joiner.chat_id is not None:
            turn.send(joiner.chat_id, turn.t("family.join_declined"))
        return
    role = admission.admissible_role(turn.session, family, wanted)
    if role in (admission.FULL, None):
        turn.reply(turn.t("family.family_full"))
        if joiner.chat_id is not None:
            turn.send(joiner.chat_id, turn.t("family.family_full"))
        return
    result = family_link.join(turn.session, user=joiner, family=family, role=role, now=turn.now)
    if result.status != family_link.JOINED:
        turn.answer(turn.t("family.join_request_stale"), alert=True)
        if joiner.chat_id is not None and result.status == family_link.OTHER_FAMILY:
            turn.send(joiner.chat_id, turn.t("family.other_family"))
        return
    reschedule_family(turn.session, family.id, now=turn.now, settings=turn.settings)
    listing = members_text(turn, family.id)
    if joiner.chat_id is not None:
        shown = members_text(turn, family.id, first_names=role not in admission.MANAGERS)
        ask_phone(turn, joiner.chat_id)  # optional, one tap, nothing waits for it
        turn.send(joiner.chat_id, turn.t("family.joined", anggota=shown))
    for member in family_store.members(turn.session, family.id):
        if member.user.id != joiner.id and member.user.chat_id is not None:
            companion = member.role not in admission.MANAGERS
            turn.send(member.user.chat_id, turn.t(
                "family.joined_notify", peran=role_name(turn, role),
                nama=admission.first_name(admission.display(joiner)) if companion else admission.display(joiner),
                anggota=members_text(turn, family.id, first_names=True) if companion else listing,
            ))


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_admission_button, pattern=r"^adm:"))
