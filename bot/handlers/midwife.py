"""The midwife's side of the bot: invitation, her families, alerts, export, analysis, QR code, /undang.

Every command and every button checks the role on the server first (:func:`require_staff`), and every
family or alert named in a callback is looked up *within her facility* only. A family member, a stranger
or a forged callback gets a polite refusal, the same whether the thing exists or not.

Callback data: ``mw:list:<page>``, ``mw:fam:<family id>:<page>``, ``mw:open:<family id>``,
``mw:done:<alert id>``.
"""

from __future__ import annotations

import io
import logging
import textwrap
from datetime import datetime

import segno
from PIL import Image, ImageDraw, ImageFont
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.chat.deeplinks import deep_link
from bot.chat.keyboards import callback, inline
from bot.core.turn import Outgoing, Turn, turn_handler
from bot.export.document import export_document
from bot.flows import alerts as alert_flow
from bot.flows import desk, desk_needs, study_data
from bot.flows import midwife as rules
from bot.handlers.context import remember_user
from bot.handlers.steps.analysis import run_analysis
from bot.handlers.steps.midwife_message import start_midwife_message
from bot.handlers.steps.staff import staff_or_refuse
from content import health_topics
from storage import audit, facilities
from storage import questions as question_store
from storage import staff as staff_store
from storage.models import Staff

log = logging.getLogger(__name__)

TEXT_LIMIT = 3900


def t(turn: Turn, key: str, /, **params: object) -> str:
    return turn.t(f"midwife.{key}", **params)


def _refuse_item(turn: Turn) -> None:
    """A family or alert outside her facility (or none at all): the same words either way."""
    turn.answer(t(turn, "not_allowed"), alert=True)


def _arg_int(parts: list[str], index: int) -> int | None:
    try:
        return int(parts[index])
    except (IndexError, ValueError):
        return None


def _local(turn: Turn, instant: datetime | None, tz: str) -> str:
    return alert_flow.local_time(instant, tz) if instant is not None else "-"


# -- invitation (deep link) --------------------------------------------------------------------------

@deep_link(rules.INVITE_PREFIX)
def accept_invite(turn: Turn, code: str) -> None:
    user = remember_user(turn)
    redeemed = rules.accept_invite(turn.session, code, user=user, now=turn.now)
    if redeemed is None:
        turn.reply(t(turn, "invite_invalid"))
        return
    params = dict(nama=staff_store.display_name(redeemed.staff, user), fasilitas=redeemed.facility.name)
    if redeemed.already:
        turn.reply(t(turn, "invite_already", **params) + "\n\n" + t(turn, "help"))
        return
    key = "invite_ok_coordinator" if rules.is_coordinator(redeemed.staff) else "invite_ok"
    turn.reply(t(turn, key, **params) + "\n\n" + t(turn, "help"))


@turn_handler
def help_command(turn: Turn) -> None:
    staff = staff_or_refuse(turn)
    if staff is None:
        return
    facility = facilities.get(turn.session, staff.facility_id)
    turn.reply(t(turn, "help_header", fasilitas=facility.name if facility else "-") + "\n\n" + t(turn, "help"),
               dashboard_keyboard(turn))


def dashboard_keyboard(turn: Turn):
    """The Mini App button (a ``web_app`` button needs the public HTTPS address in WEB_APP_URL)."""
    url = turn.settings.web_app_url
    if not url:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(turn.t("desk.button_dashboard"), web_app=WebAppInfo(url))]])


# -- /pasien -----------------------------------------------------------------------------------------

def _summary_lines(turn: Turn, number: int, s: study_data.FamilySummary) -> list[str]:
    return [t(turn, "list_item", nomor=number, kode=s.family.code, nama=s.mother_name or "-",
              hari=t(turn, "day_unknown") if s.day is None else s.day, selesai=s.sessions_done,
              rencana=s.sessions_planned, ceklis=desk_needs.occasion_marks(turn.content, s.occasions),
              kelas=s.latest_class_label or t(turn, "class_none"))]


def _reason_lines(turn: Turn, row: desk.TriageRow) -> list[str]:
    """Why the family is where it is in the list, one line each (the dashboard's "Perlu" shows the same)."""
    return desk_needs.needs(turn.content, row)


def _filter_name(turn: Turn, only: str) -> str:
    if only.startswith("hari"):
        return turn.t("desk.filter_hari", hari=only[4:])
    return turn.t(f"desk.filter_{only}")


def _list_view(turn: Turn, staff: Staff, page: int, only: str = ""):
    facility = facilities.get(turn.session, staff.facility_id)
    name = facility.name if facility else "-"
    rows = desk.triage(turn.session, turn.content, staff.facility_id, now=turn.now, only=only or None)
    total = len(rows)
    if total == 0:
        if only:
            return turn.t("desk.list_empty_filter", fasilitas=name, saringan=_filter_name(turn, only)), None
        return t(turn, "list_empty", fasilitas=name), None
    size = study_data.PAGE_SIZE
    pages = max(1, -(-total // size))
    page = min(max(0, page), pages - 1)
    if only:
        header = turn.t("desk.list_header_filter", fasilitas=name, saringan=_filter_name(turn, only), jumlah=total,
                        halaman=page + 1, halaman_total=pages)
    else:
        header = t(turn, "list_header", fasilitas=name, jumlah=total, halaman=page + 1, halaman_total=pages)
    lines = [header, ""]
    buttons = []
    for offset, row in enumerate(rows[page * size:(page + 1) * size]):
        s = row.summary
        number = page * size + offset + 1
        lines += _summary_lines(turn, number, s) + _reason_lines(turn, row)
        label = t(turn, "button_family", nomor=number, kode=s.family.code, nama=s.mother_name or "-")
        if row.open_alerts:
            label = t(turn, "button_family_alert", label=label)
        buttons.append([(label, callback("mw", "fam", s.family.id, page, only))])
    lines += ["", turn.t("desk.marks_legend"), turn.t("desk.filters_help")]
    nav = []
    if page > 0:
        nav.append((t(turn, "button_prev"), callback("mw", "list", page - 1, only)))
    if page < pages - 1:
        nav.append((t(turn, "button_next"), callback("mw", "list", page + 1, only)))
    if nav:
        buttons.append(nav)
    return "\n".join(lines)[:TEXT_LIMIT], inline(buttons)


@turn_handler
def patients(turn: Turn) -> None:
    staff = staff_or_refuse(turn)
    if staff is None:
        return
    page, only = 0, ""
    for word in (a.lower() for a in turn.args):
        if word.isdigit():
            page = max(0, int(word) - 1)
        elif word.replace(" ", "") in desk.FILTERS:
            only = word
        else:
            turn.reply(turn.t("desk.filter_unknown", kata=word[:32], bantuan=turn.t("desk.filters_help")))
            return
    text, keyboard = _list_view(turn, staff, page, only)
    turn.reply(text, keyboard)


# -- a family's detail -------------------------------------------------------------------------------

def _role(turn: Turn, role: str) -> str:
    return t(turn, f"role_{role}") if turn.content.has_text(f"midwife.role_{role}") else role


def _detail_text(turn: Turn, detail: study_data.FamilyDetail) -> str:
    s = detail.summary
    fam = s.family
    session = turn.session
    protocol = turn.content.protocols.get(fam.protocol_id)
    lines = [t(turn, "detail_header", kode=fam.code, nama=s.mother_name or "-",
               lahir=fam.birth_date.strftime("%d/%m/%Y") if fam.birth_date else "-",
               hari=t(turn, "day_unknown") if s.day is None else s.day,
               protokol=protocol.title if protocol else fam.protocol_id,
               selesai=s.sessions_done, rencana=s.sessions_planned)]
    lines += ["", t(turn, "detail_members")]
    for c in desk.contacts(session, fam.id):
        key = "detail_member" if c.reachable else "detail_member_unreachable"
        lines.append(t(turn, key, nama=c.name, peran=_role(turn, c.role)))
        lines.append(turn.t("desk.detail_phone", nomor=c.phone) if c.phone else turn.t("desk.detail_no_phone"))
    lines += ["", t(turn, "detail_sessions")]
    if not detail.sessions:
        lines.append(t(turn, "detail_none"))
    for ms in detail.sessions:
        day = t(turn, "day_unknown") if ms.postpartum_day is None else ms.postpartum_day
        if ms.status == "stopped":
            lines.append(turn.t("desk.detail_stop_reason", waktu=_local(turn, ms.started_at, fam.timezone), hari=day,
                                alasan=desk.stop_reason_label(turn.content, ms.stop_reason)))
            continue
        status_key = f"session_{ms.status}"
        status = t(turn, status_key) if turn.content.has_text(f"midwife.{status_key}") else ms.status
        minutes = round(ms.duration_seconds / 60) if ms.duration_seconds else None
        lines.append(t(turn, "detail_session", waktu=_local(turn, ms.started_at, fam.timezone), hari=day,
                       status=status, menit="-" if minutes is None else minutes))
    if s.occasions:
        lines += ["", turn.t("desk.detail_occasions"), *desk_needs.occasion_lines(turn.content, s.occasions)]
    lines += ["", t(turn, "detail_measurements")]
    if not detail.measurements:
        lines.append(t(turn, "detail_none"))
    for md in detail.measurements:
        m = md.measurement
        occasion = desk_needs.label_words(turn.content, m.occasion)
        inst = turn.content.instruments.get(m.instrument_id)
        title = inst.title if inst else m.instrument_id
        if m.completed_at is not None:
            lines.append(t(turn, "detail_measurement", waktu=occasion, instrumen=title,
                           skor="-" if m.score is None else m.score, kelas=md.class_label or "-"))
        else:
            lines.append(t(turn, "detail_measurement_open", waktu=occasion, instrumen=title))
        for a in md.answers:
            lines.append(t(turn, "detail_answer", butir=a.text,
                           jawaban=desk.answer_label(turn.content, m.instrument_id, a.item_id, a.raw_value)))
    if detail.alerts:
        lines += ["", t(turn, "detail_alerts")]
        for a in detail.alerts:
            when = _local(turn, a.raised_at, fam.timezone)
            sign = alert_flow.sign_text(turn.content, a.sign_id)
            if a.handled_at is None:
                lines.append(t(turn, "detail_alert_open", waktu=when, tanda=sign))
            else:
                lines.append(t(turn, "detail_alert_handled", waktu=when, tanda=sign,
                               catatan=alert_flow.handled_note(session, turn.content, a)))
    lines += _thread_lines(turn, fam)
    text = "\n".join(lines)
    if len(text) > TEXT_LIMIT:
        cut = t(turn, "detail_truncated")
        text = text[: text.rfind("\n", 0, TEXT_LIMIT - len(cut) - 1)] + "\n" + cut
    return text


def _thread_lines(turn: Turn, fam) -> list[str]:
    asked = question_store.for_family(turn.session, fam.id)
    replies = question_store.replies_for_family(turn.session, fam.id)
    if not asked and not replies:
        return []
    lines = ["", turn.t("desk.detail_questions")]
    by_question: dict[int | None, list] = {}
    for r in replies:
        by_question.setdefault(r.question_id, []).append(r)

    def who(r) -> str:
        return staff_store.name_in_facility(turn.session, r.staff_user_id, fam.facility_id) or "-"

    for q in asked:
        if q.kind in question_store.AUTO_ANSWERED:  # the bot answered it itself: readable, never open
            topic = health_topics.topics().match(q.text)
            lines.append(turn.t("health.detail_answered", waktu=_local(turn, q.asked_at, fam.timezone),
                                topik=topic.title if topic else "-", pertanyaan=q.text[:300] or "-"))
            if q.kind == question_store.ANSWERED_FORWARDED:
                lines.append(turn.t("health.detail_answered_forwarded"))
            continue
        lines.append(turn.t("desk.detail_question", waktu=_local(turn, q.asked_at, fam.timezone),
                            pertanyaan=q.text[:300] or "-"))
        for r in by_question.get(q.id, []):
            lines.append(turn.t("desk.detail_question_reply", nama=who(r), waktu=_local(turn, r.sent_at, fam.timezone),
                                pesan=r.text[:300]))
        if q.answered_at is None:
            lines.append(turn.t("desk.detail_question_open"))
    for r in by_question.get(None, []):
        lines.append(turn.t("desk.detail_message", waktu=_local(turn, r.sent_at, fam.timezone), nama=who(r),
                            pesan=r.text[:300]))
    return lines


def _detail_buttons(turn: Turn, detail: study_data.FamilyDetail, back: tuple[str, str] | None):
    rows = []
    for a in detail.alerts:
        if a.handled_at is None:
            rows.append([(turn.t("desk.button_handled_sign", tanda=alert_flow.sign_text(turn.content, a.sign_id)[:40]),
                          callback("mw", "done", a.id))])
    rows += alert_flow.contact_buttons(turn.content, detail.summary.family.id, session=turn.session)
    if back is not None:
        rows.append([back])
    return inline(rows)


def _show_family(turn: Turn, *, edit: bool) -> None:
    staff = staff_or_refuse(turn)
    if staff is None:
        return
    parts = (turn.callback_data or "").split(":")
    family_id = _arg_int(parts, 2)
    found = rules.staff_for_family(turn.session, turn.user_id, family_id) if family_id is not None else None
    if found is None:
        _refuse_item(turn)
        return
    family = found[1]
    detail = study_data.family_detail(turn.session, turn.content, family, now=turn.now)
    text = _detail_text(turn, detail)
    turn.answer()
    if edit:
        page = _arg_int(parts, 3) or 0
        only = parts[4] if len(parts) > 4 and parts[4] in desk.FILTERS else ""
        back = (t(turn, "button_back"), callback("mw", "list", page, only))
        turn.edit(text, _detail_buttons(turn, detail, back))
    else:
        turn.reply(text, _detail_buttons(turn, detail, None))


@turn_handler
def on_callback(turn: Turn) -> None:
    parts = (turn.callback_data or "").split(":")
    action = parts[1] if len(parts) > 1 else ""
    if action == "list":
        staff = staff_or_refuse(turn)
        if staff is None:
            return
        only = parts[3] if len(parts) > 3 and parts[3] in desk.FILTERS else ""
        text, keyboard = _list_view(turn, staff, _arg_int(parts, 2) or 0, only)
        turn.answer()
        turn.edit(text, keyboard)
    elif action == "fam":
        _show_family(turn, edit=True)
    elif action == "open":
        _show_family(turn, edit=False)
    elif action == "done":
        _handle_alert(turn, _arg_int(parts, 2))
    elif action in ("msg", "reply"):
        start_midwife_message(turn, action, _arg_int(parts, 2))
    else:
        turn.answer(t(turn, "not_allowed"), alert=True)


# -- alerts --------------------------------------------------------------------------------------------

def _handle_alert(turn: Turn, alert_id: int | None) -> None:
    staff = staff_or_refuse(turn)
    if staff is None:
        return
    found = rules.staff_for_alert(turn.session, turn.user_id, alert_id) if alert_id is not None else None
    if found is None:
        _refuse_item(turn)
        return
    staff, alert = found
    # The acknowledgement path of bot/flows/alerts.py (acknowledge), via the desk: every copy updated.
    ack = desk.acknowledge_alert(turn.session, turn.content, alert, staff_user_id=staff.user_id, now=turn.now)
    queue_acknowledged(turn, ack)
    turn.answer(t(turn, "alert_thanks") if ack.first else ack.note)


def queue_acknowledged(turn: Turn, ack: desk.Acknowledged) -> None:
    """Update the pressed message and every alert message shown to the midwives; tell colleagues, family."""
    keyboard = inline(ack.buttons)
    pressed = (turn.chat_id, turn.callback_message_id) if turn.callback_message_id else None
    if pressed is not None:
        turn.edit(ack.text, keyboard)
    for chat_id, message_id in ack.edits:
        if (chat_id, message_id) != pressed:
            turn.outgoing.append(Outgoing("edit", chat_id=chat_id, text=ack.text, keyboard=keyboard,
                                          message_id=message_id))
    for chat_id, text in ack.notices:
        turn.send(chat_id, text)


# -- /export -------------------------------------------------------------------------------------------

@turn_handler
def export(turn: Turn) -> None:
    staff = staff_or_refuse(turn)
    if staff is None:
        return
    words = [a.lower() for a in turn.args]
    if any(w not in ("nama", "csv", "xlsx", "spss", "sav", "kode") for w in words):
        turn.reply(t(turn, "export_usage"))
        return
    fmt = "sav" if ("spss" in words or "sav" in words) else "csv" if "csv" in words else "xlsx"
    with_names = "nama" in words and fmt != "sav"  # the SPSS files never carry names
    made = export_document(turn.session, turn.content, staff, fmt=fmt, with_names=with_names, now=turn.now,
                           codes="kode" in words)
    if isinstance(made, str):
        turn.reply(made)
        return
    turn.document(*made)


# -- /analisis -----------------------------------------------------------------------------------------

@turn_handler
def analysis(turn: Turn) -> None:
    """/analisis [PROTOKOL|INSTRUMEN]: the per-protocol report (bot/handlers/steps/analysis.py)."""
    run_analysis(turn)


# -- /qr -----------------------------------------------------------------------------------------------

def qr_png(data: str, title: str | None = None, hint: str | None = None) -> bytes:
    """The QR code as a PNG; with ``title`` and ``hint`` written under it (printed and stuck on a wall, the
    picture says whose it is and what to do with it)."""
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=10, border=4)
    if title is None:
        return buffer.getvalue()
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    width = code.width
    big, small = ImageFont.load_default(size=26), ImageFont.load_default(size=20)
    lines = [(line, big) for line in textwrap.wrap(title, 30)]
    lines += [(line, small) for line in textwrap.wrap(hint or "", 40)]
    height = code.height + 20 + sum(34 if f is big else 28 for _, f in lines)
    page = Image.new("RGB", (width, height), "white")
    page.paste(code, (0, 0))
    draw = ImageDraw.Draw(page)
    y = code.height
    for line, font in lines:
        left = max(10, (width - draw.textlength(line, font=font)) // 2)
        draw.text((left, y), line, fill="black", font=font)
        y += 34 if font is big else 28
    out = io.BytesIO()
    page.save(out, format="PNG")
    return out.getvalue()


@turn_handler
def qr(turn: Turn) -> None:
    staff = staff_or_refuse(turn)
    if staff is None:
        return
    facility = facilities.get(turn.session, staff.facility_id)
    url = rules.registration_link(turn.rt.username, facility)
    turn.photo(qr_png(url, facility.name, t(turn, "qr_label_hint")),
               t(turn, "qr_caption", fasilitas=facility.name, tautan=url, kode=facility.code))
    number = turn.rt.settings.whatsapp_number
    if number:  # families on WhatsApp scan this one: the prefilled text registers them when they press Send
        wa_url = rules.whatsapp_registration_link(number, facility, turn.rt.content)
        turn.photo(qr_png(wa_url, facility.name, t(turn, "qr_label_hint_whatsapp")),
                   t(turn, "qr_caption_whatsapp", fasilitas=facility.name, tautan=wa_url))


# -- /undang -------------------------------------------------------------------------------------------

@turn_handler
def invite(turn: Turn) -> None:
    staff = staff_or_refuse(turn)
    if staff is None:
        return
    if not rules.is_coordinator(staff):
        turn.reply(t(turn, "not_coordinator"))
        return
    facility = facilities.get(turn.session, staff.facility_id)
    name = " ".join(turn.args).strip() or None
    made = rules.invite_to(turn.session, facility, now=turn.now, name=name, created_by=staff.user_id)
    turn.reply(t(turn, "invite_created", fasilitas=facility.name,
                 tautan=rules.invite_link(turn.rt.username, made.invite),
                 sampai=alert_flow.local_time(made.invite.expires_at, facility.timezone)))


# -- /jam: the facility's hours ---------------------------------------------------------------------

@turn_handler
def hours(turn: Turn) -> None:
    staff = staff_or_refuse(turn)
    if staff is None:
        return
    facility = facilities.get(turn.session, staff.facility_id)
    arg = " ".join(turn.args).strip()
    if not arg:
        turn.reply(turn.t("desk.hours_usage", fasilitas=facility.name,
                          jam=facility.hours or turn.t("desk.hours_none")))
        return
    if arg.lower() in ("hapus", "tidak", "-"):
        facility.hours = None
        turn.session.add(facility)
        turn.reply(turn.t("desk.hours_removed", fasilitas=facility.name))
        return
    parsed = desk.parse_hours(arg)
    if parsed is None:
        turn.reply(turn.t("desk.hours_invalid"))
        return
    facility.hours = desk.format_hours(parsed)
    turn.session.add(facility)
    audit.record(turn.session, action="facility_hours", now=turn.now, actor="telegram", actor_user_id=staff.user_id,
                 facility_id=facility.id, detail={"hours": facility.hours})
    turn.reply(turn.t("desk.hours_saved", fasilitas=facility.name, jam=facility.hours))


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("bidan", help_command, filters=private))
    app.add_handler(CommandHandler("pasien", patients, filters=private))
    app.add_handler(CommandHandler("export", export, filters=private))
    app.add_handler(CommandHandler("analisis", analysis, filters=private))
    app.add_handler(CommandHandler("qr", qr, filters=private))
    app.add_handler(CommandHandler("undang", invite, filters=private))
    app.add_handler(CommandHandler("jam", hours, filters=private))
    app.add_handler(CallbackQueryHandler(on_callback, pattern=r"^mw:"))
