"""The midwife's message to a family: "Balas" under a question (``mw:reply:<question id>``, bot/handlers/midwife.py)
or "Kirim pesan lewat bot" on a family (``mw:msg:<family id>``); flow ``mw_reply`` waits for her text, which
bot/handlers/questions.py sends to every member of the family."""

from __future__ import annotations

from bot.chat.keyboards import inline
from bot.core.turn import Turn
from bot.flows import midwife as rules
from bot.flows.alerts import family_name
from bot.handlers.context import put_state
from storage import questions as store

REPLY_FLOW = "mw_reply"


def start_midwife_message(turn: Turn, action: str, ref: int | None) -> None:
    """"Balas" on a question, or "Kirim pesan lewat bot" on a family: wait for her text."""
    question = store.get(turn.session, ref) if action == "reply" and ref is not None else None
    family_id = question.family_id if question is not None else (ref if action == "msg" else None)
    found = rules.staff_for_family(turn.session, turn.user_id, family_id) if family_id is not None else None
    if found is None:
        turn.answer(turn.t("midwife.not_allowed"), alert=True)
        return
    family = found[1]
    turn.answer()
    put_state(turn, REPLY_FLOW, str(question.id) if question else "", {"family_id": family.id})
    key = ("desk.reply_prompt_family" if question.kind == store.FAMILY else "desk.reply_prompt") if question \
        else "desk.relay_prompt"
    turn.reply(turn.t(key, kode=family.code, nama=family_name(turn.session, family.id)),
               inline([[(turn.t("desk.button_cancel"), "ask:cancel")]]))
