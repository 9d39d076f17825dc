"""The midwife writes back to a family about an alert: "Tulis pesan untuk keluarga" after acknowledging.

Callback data: ``dg:reply:<alert id>`` (start), ``dg:cancel`` (stop). Her next text is sent to every member of
the family (bot.flows.alerts.send_reply) and stored on the alert.
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler

from bot.chat.keyboards import inline
from bot.chat.routing import ANY, text_flow
from bot.core.turn import Turn, turn_handler
from bot.flows import alerts as alert_flow
from bot.flows import midwife as rules
from storage import chatstate
from storage.models import ChatState, Family

FLOW = "alert_reply"
MAX_CHARS = 900


@turn_handler
def on_callback(turn: Turn) -> None:
    parts = (turn.callback_data or "").split(":")
    if parts[1:2] == ["cancel"]:
        chatstate.clear(turn.session, turn.user_id, now=turn.now)
        turn.answer()
        turn.reply(turn.t("danger.reply_cancelled"))
        return
    alert_id = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else None
    found = rules.staff_for_alert(turn.session, turn.user_id, alert_id) if alert_id is not None else None
    if found is None:
        turn.answer(turn.t("midwife.not_allowed"), alert=True)
        return
    _staff, alert = found
    family = turn.session.get(Family, alert.family_id)
    chatstate.put(turn.session, turn.user_id, flow=FLOW, data={"alert_id": alert.id}, now=turn.now)
    turn.answer()
    turn.reply(turn.t("danger.reply_prompt", kode=family.code if family else "-"),
               inline([[(turn.t("danger.button_cancel"), "dg:cancel")]]))


@text_flow(FLOW, answers=ANY)
def reply_text(turn: Turn, state: ChatState) -> None:
    text = turn.text
    if len(text) > MAX_CHARS:
        turn.reply(turn.t("danger.reply_too_long"))
        return
    alert_id = int((state.data or {}).get("alert_id", 0))
    found = rules.staff_for_alert(turn.session, turn.user_id, alert_id)
    chatstate.clear(turn.session, turn.user_id, now=turn.now)
    if found is None or not text:
        turn.reply(turn.t("midwife.not_allowed"))
        return
    staff, alert = found
    alert_flow.send_reply(turn.session, turn.content, alert_id=alert.id, staff_user_id=staff.user_id, text=text,
                          now=turn.now, send=lambda chat, message: turn.send(chat, message))
    family = turn.session.get(Family, alert.family_id)
    turn.reply(turn.t("danger.reply_sent", kode=family.code if family else "-"))


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_callback, pattern=r"^dg:"))
