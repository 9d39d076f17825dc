"""What a midwife does from the dashboard: acknowledge an alert, answer a question, message a family, export
the data; each queues its Telegram messages on the :class:`~bot.web.calls.Call`."""

from __future__ import annotations

from bot.chat.keyboards import inline
from bot.core.outgoing import Outgoing
from bot.export.document import export_document
from bot.flows import desk
from bot.flows import midwife as rules
from bot.flows import questions as question_flow
from bot.web.calls import Call, Refused, _chat_id, _family, _int
from storage import questions as question_store
from storage.models import User

EXPORT_FORMATS = ("xlsx", "csv", "sav")


def ack(call: Call, request, body) -> dict:
    alert_id = _int(request, "id")
    found = rules.staff_for_alert(call.session, _telegram_id(call), alert_id)
    if found is None or found[1].facility_id != call.staff.facility_id:
        raise Refused(403, "not allowed")
    staff, alert = found
    # The same acknowledgement as the chat's "Sudah ditangani" (bot.flows.alerts.acknowledge, via the desk).
    memo = body.get("note")
    memo = _clean(memo)[:300] if isinstance(memo, str) and memo.strip() else None
    done = desk.acknowledge_alert(call.session, call.rt.content, alert, staff_user_id=staff.user_id,
                                  now=call.rt.clock.now(), actor="dashboard", memo=memo)
    keyboard = inline(done.buttons)
    for chat_id, message_id in done.edits:
        call.outgoing.append(Outgoing("edit", chat_id=chat_id, message_id=message_id, text=done.text,
                                      keyboard=keyboard))
    for chat_id, text in done.notices:
        call.outgoing.append(Outgoing("send", chat_id=chat_id, text=text))
    return {"ok": True, "first": done.first, "note": done.note}


def _telegram_id(call: Call) -> int | None:
    user = call.session.get(User, call.staff.user_id)
    return user.telegram_id if user else None


def _clean(text: str) -> str:
    return "".join(ch for ch in text if ch in "\n\t" or ord(ch) >= 32).strip()


def _text(body: dict) -> str:
    text = body.get("text")
    if not isinstance(text, str) or len(text.strip()) < 2:
        raise Refused(400, "text needed")
    return _clean(text)[: question_store.TEXT_MAX]


def _queue(call: Call, out: question_flow.Outcome) -> None:
    for chat_id, text, buttons, _remember in out.sends:
        call.outgoing.append(Outgoing("send", chat_id=chat_id, text=text, keyboard=inline(buttons) if buttons else None))
    for chat_id, message_id, text, buttons in out.edits:
        call.outgoing.append(Outgoing("edit", chat_id=chat_id, message_id=message_id, text=text,
                                      keyboard=inline(buttons) if buttons else None))


def reply(call: Call, request, body) -> dict:
    question = question_store.get(call.session, _int(request, "id"))
    if question is None:
        raise Refused(403, "not allowed")
    fam = _family(call, question.family_id)
    text = _text(body)
    out = question_flow.midwife_message(call.session, call.rt.content, family=fam, staff_user_id=call.staff.user_id,
                                        text=text, now=call.rt.clock.now(), question=question)
    _queue(call, out)
    return {"ok": True, "delivered": out.delivered}


def message(call: Call, request, body) -> dict:
    fam = _family(call, _int(request, "id"))
    text = _text(body)
    out = question_flow.midwife_message(call.session, call.rt.content, family=fam, staff_user_id=call.staff.user_id,
                                        text=text, now=call.rt.clock.now())
    _queue(call, out)
    return {"ok": True, "delivered": out.delivered}


def export(call: Call, request, body) -> dict:
    fmt = body.get("format")
    if fmt not in EXPORT_FORMATS:
        raise Refused(400, "unknown format")
    user_chat = _chat_id(call)
    made = export_document(call.session, call.rt.content, call.staff, fmt=fmt,
                           with_names=bool(body.get("names")) and fmt != "sav",  # SPSS files never carry names
                           now=call.rt.clock.now(), actor="dashboard", apart=True)
    if isinstance(made, str):
        return {"ok": False, "message": made}
    data, filename, caption = made
    call.outgoing.append(Outgoing("document", chat_id=user_chat, data=data, filename=filename, text=caption))
    return {"ok": True, "filename": filename, "message": call.t("desk.export_sent")}
