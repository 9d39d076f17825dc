"""The midwife's side of the bot: invitation, her families, alerts, export, analysis, QR code, /undang.

Every command and every button checks the role on the server first (:func:`require_staff`), and every
family or alert named in a callback is looked up *within her facility* only. A family member, a stranger
or a forged callback gets a polite refusal, the same whether the thing exists or not.

Callback data: ``mw:list:<page>``, ``mw:fam:<family id>:<page>``, ``mw:open:<family id>``,
``mw:done:<alert id>``.
"""

from __future__ import annotations

import html
import io
import logging
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.chat.deeplinks import deep_link
from bot.chat.keyboards import callback, inline
from bot.core.turn import Turn, turn_handler
from bot.export import exporting
from bot.flows import alerts as alert_flow
from bot.flows import midwife as rules
from bot.flows import study_data
from bot.handlers.context import remember_user
from storage import audit, facilities
from storage import staff as staff_store
from storage.models import Staff

log = logging.getLogger(__name__)

TEXT_LIMIT = 3900


def t(turn: Turn, key: str, /, **params: object) -> str:
    return turn.t(f"midwife.{key}", **params)


def _staff_or_refuse(turn: Turn) -> Staff | None:
    """The sender's active staff role, or None after a polite refusal (nothing else is said)."""
    staff = rules.require_staff(turn.session, turn.user_id)
    if staff is None:
        if turn.update.callback_query is not None:
            turn.answer(t(turn, "not_allowed"), alert=True)
        else:
            turn.reply(t(turn, "not_staff"))
    return staff


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
    staff = _staff_or_refuse(turn)
    if staff is None:
        return
    facility = facilities.get(turn.session, staff.facility_id)
    turn.reply(t(turn, "help_header", fasilitas=facility.name if facility else "-") + "\n\n" + t(turn, "help"))


# -- /pasien -----------------------------------------------------------------------------------------

def _mark(turn: Turn, done: bool) -> str:
    return t(turn, "mark_yes" if done else "mark_no")


def _summary_lines(turn: Turn, number: int, s: study_data.FamilySummary) -> list[str]:
    lines = [t(turn, "list_item", nomor=number, kode=s.family.code, nama=s.mother_name or "-",
               hari=t(turn, "day_unknown") if s.day is None else s.day, selesai=s.sessions_done,
               rencana=s.sessions_planned, pre=_mark(turn, s.pre_done), post=_mark(turn, s.post_done),
               kelas=s.latest_class_label or t(turn, "class_none"))]
    if s.open_alerts:
        lines.append(t(turn, "list_item_alerts", jumlah=s.open_alerts))
    if s.unreachable:
        lines.append(t(turn, "list_item_unreachable", nama=", ".join(m.name for m in s.unreachable)))
    return lines


def _list_view(turn: Turn, staff: Staff, page: int):
    facility = facilities.get(turn.session, staff.facility_id)
    name = facility.name if facility else "-"
    view = study_data.overview_page(turn.session, turn.content, staff.facility_id, page=page, now=turn.now)
    if view.total == 0:
        return t(turn, "list_empty", fasilitas=name), None
    lines = [t(turn, "list_header", fasilitas=name, jumlah=view.total, halaman=view.page + 1,
               halaman_total=view.pages), ""]
    buttons = []
    for offset, s in enumerate(view.families):
        number = view.page * study_data.PAGE_SIZE + offset + 1
        lines += _summary_lines(turn, number, s)
        label = t(turn, "button_family", nomor=number, kode=s.family.code, nama=s.mother_name or "-")
        if s.open_alerts:
            label = t(turn, "button_family_alert", label=label)
        buttons.append([(label, callback("mw", "fam", s.family.id, view.page))])
    nav = []
    if view.page > 0:
        nav.append((t(turn, "button_prev"), callback("mw", "list", view.page - 1)))
    if view.page < view.pages - 1:
        nav.append((t(turn, "button_next"), callback("mw", "list", view.page + 1)))
    if nav:
        buttons.append(nav)
    return "\n".join(lines)[:TEXT_LIMIT], inline(buttons)


@turn_handler
def patients(turn: Turn) -> None:
    staff = _staff_or_refuse(turn)
    if staff is None:
        return
    page = max(0, (_arg_int(turn.args, 0) or 1) - 1)
    text, keyboard = _list_view(turn, staff, page)
    turn.reply(text, keyboard)


# -- a family's detail -------------------------------------------------------------------------------

def _detail_text(turn: Turn, detail: study_data.FamilyDetail) -> str:
    s = detail.summary
    fam = s.family
    protocol = turn.content.protocols.get(fam.protocol_id)
    lines = [t(turn, "detail_header", kode=fam.code, nama=s.mother_name or "-",
               lahir=fam.birth_date.strftime("%d/%m/%Y") if fam.birth_date else "-",
               hari=t(turn, "day_unknown") if s.day is None else s.day,
               protokol=protocol.title if protocol else fam.protocol_id,
               selesai=s.sessions_done, rencana=s.sessions_planned)]
    lines += ["", t(turn, "detail_members")]
    for m in s.members:
        role = t(turn, f"role_{m.role}") if turn.content.has_text(f"midwife.role_{m.role}") else m.role
        key = "detail_member" if m.reachable else "detail_member_unreachable"
        lines.append(t(turn, key, nama=m.name, peran=role))
    lines += ["", t(turn, "detail_sessions")]
    if not detail.sessions:
        lines.append(t(turn, "detail_none"))
    for ms in detail.sessions:
        status_key = f"session_{ms.status}"
        status = t(turn, status_key) if turn.content.has_text(f"midwife.{status_key}") else ms.status
        minutes = round(ms.duration_seconds / 60) if ms.duration_seconds else None
        lines.append(t(turn, "detail_session", waktu=_local(turn, ms.started_at, fam.timezone),
                       hari=t(turn, "day_unknown") if ms.postpartum_day is None else ms.postpartum_day,
                       status=status, menit="-" if minutes is None else minutes))
    lines += ["", t(turn, "detail_measurements")]
    if not detail.measurements:
        lines.append(t(turn, "detail_none"))
    for md in detail.measurements:
        m = md.measurement
        occasion_key = f"occasion_{m.occasion}"
        occasion = t(turn, occasion_key) if turn.content.has_text(f"midwife.{occasion_key}") else m.occasion
        inst = turn.content.instruments.get(m.instrument_id)
        title = inst.title if inst else m.instrument_id
        if m.completed_at is not None:
            lines.append(t(turn, "detail_measurement", waktu=occasion, instrumen=title,
                           skor="-" if m.score is None else m.score, kelas=md.class_label or "-"))
        else:
            lines.append(t(turn, "detail_measurement_open", waktu=occasion, instrumen=title))
        for a in md.answers:
            lines.append(t(turn, "detail_answer", butir=a.text, jawaban=a.raw_value))
    if detail.alerts:
        lines += ["", t(turn, "detail_alerts")]
        for a in detail.alerts:
            when = _local(turn, a.raised_at, fam.timezone)
            sign = alert_flow.sign_text(turn.content, a.sign_id)
            if a.handled_at is None:
                lines.append(t(turn, "detail_alert_open", waktu=when, tanda=sign))
            else:
                lines.append(t(turn, "detail_alert_handled", waktu=when, tanda=sign,
                               catatan=alert_flow.handled_note(turn.session, turn.content, a)))
    text = "\n".join(lines)
    if len(text) > TEXT_LIMIT:
        cut = t(turn, "detail_truncated")
        text = text[: text.rfind("\n", 0, TEXT_LIMIT - len(cut) - 1)] + "\n" + cut
    return text


def _show_family(turn: Turn, *, edit: bool) -> None:
    staff = _staff_or_refuse(turn)
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
        turn.edit(text, inline([[(t(turn, "button_back"), callback("mw", "list", page))]]))
    else:
        turn.reply(text)


@turn_handler
def on_callback(turn: Turn) -> None:
    parts = (turn.callback_data or "").split(":")
    action = parts[1] if len(parts) > 1 else ""
    if action == "list":
        staff = _staff_or_refuse(turn)
        if staff is None:
            return
        text, keyboard = _list_view(turn, staff, _arg_int(parts, 2) or 0)
        turn.answer()
        turn.edit(text, keyboard)
    elif action == "fam":
        _show_family(turn, edit=True)
    elif action == "open":
        _show_family(turn, edit=False)
    elif action == "done":
        _handle_alert(turn, _arg_int(parts, 2))
    else:
        turn.answer(t(turn, "not_allowed"), alert=True)


# -- alerts --------------------------------------------------------------------------------------------

def _handle_alert(turn: Turn, alert_id: int | None) -> None:
    staff = _staff_or_refuse(turn)
    if staff is None:
        return
    found = rules.staff_for_alert(turn.session, turn.user_id, alert_id) if alert_id is not None else None
    if found is None:
        _refuse_item(turn)
        return
    staff, alert = found
    session = turn.session
    user_id = staff.user_id
    # The family hears "Bidan … sudah membaca laporan …" (bot.flows.alerts.acknowledge).
    ack = alert_flow.acknowledge(session, turn.content, alert_id=alert.id, staff_user_id=user_id, now=turn.now,
                                 send=lambda chat, text: turn.send(chat, text))
    alert = ack.alert or alert
    note = alert_flow.handled_note(session, turn.content, alert)
    message = alert_flow.alert_message(session, turn.content, alert, now=turn.now, handled=True)
    turn.edit(message.text + "\n\n" + note, inline(message.buttons))
    if not ack.first:
        turn.answer(note)
        return
    audit.record(session, action="alert_handled", now=turn.now, actor="telegram", actor_user_id=user_id,
                 facility_id=alert.facility_id, rows=1, detail={"alert_id": alert.id, "sign": alert.sign_id})
    turn.answer(t(turn, "alert_thanks"))
    family = rules.family_of_facility(session, staff, alert.family_id)
    colleague_text = t(turn, "alert_handled_colleague", kode=family.code if family else "-",
                       tanda=alert_flow.sign_text(turn.content, alert.sign_id), catatan=note)
    for _other, user in staff_store.recipients(session, staff.facility_id):
        if user.id != user_id:
            turn.send(user.chat_id, colleague_text)


# -- /export -------------------------------------------------------------------------------------------

@turn_handler
def export(turn: Turn) -> None:
    staff = _staff_or_refuse(turn)
    if staff is None:
        return
    words = [a.lower() for a in turn.args]
    if any(w not in ("nama", "csv", "xlsx", "spss", "sav") for w in words):
        turn.reply(t(turn, "export_usage"))
        return
    fmt = "sav" if ("spss" in words or "sav" in words) else "csv" if "csv" in words else "xlsx"
    with_names = "nama" in words and fmt != "sav"  # the SPSS files never carry names
    session = turn.session
    facility = facilities.get(session, staff.facility_id)
    families = study_data.count_families(session, staff.facility_id)
    if families == 0:
        turn.reply(turn.t("export.empty", fasilitas=facility.name))
        return
    data, counts = exporting.export_bytes(session, turn.content, staff.facility_id, fmt=fmt, with_names=with_names)
    rows = exporting.data_rows(counts)
    audit.record(session, action="export", now=turn.now, actor="telegram", actor_user_id=staff.user_id,
                 facility_id=staff.facility_id, rows=rows,
                 detail={"format": fmt, "with_names": with_names, "families": families, "sheets": counts})
    stamp = turn.now.astimezone(ZoneInfo(facility.timezone)).strftime("%Y%m%d-%H%M")
    suffix = "-nama" if with_names else ""
    kind = {"csv": "zip", "sav": "spss.zip"}.get(fmt, "xlsx")
    filename = f"pijat-oksitosin-{facility.code}-{stamp}{suffix}.{kind}"
    caption_key = "export.file_caption_names" if with_names else "export.file_caption"
    turn.document(data, filename, turn.t(caption_key, fasilitas=facility.name, keluarga=families, baris=rows))


# -- /analisis -----------------------------------------------------------------------------------------

def _analysis_labels(turn: Turn):
    def labels(key: str, /, **params: object) -> str:
        return turn.t(f"analysis.{key}", **params)

    return labels


@turn_handler
def analysis(turn: Turn) -> None:
    """/analisis [PROTOKOL|INSTRUMEN]: the per-protocol report (bot/handlers/study.py)."""
    from bot.handlers.study import run_analysis

    run_analysis(turn)


def instrument_analysis(turn: Turn, staff: Staff, instrument_id: str) -> None:
    """/analisis INSTRUMEN: one instrument's pre/post pairs over the facility (research consent only)."""
    session = turn.session
    facility = facilities.get(session, staff.facility_id)
    instrument = turn.content.instruments.get(instrument_id)
    if instrument is None:
        turn.reply(t(turn, "analysis_unknown_instrument", nama=instrument_id[:32],
                     pilihan=", ".join(sorted(turn.content.instruments))))
        return
    scores = study_data.paired_scores(session, instrument, staff.facility_id)
    report = study_data.analyse(scores, instrument=instrument)
    if report is None:
        turn.reply(t(turn, "analysis_too_few", n=scores.n, minimum=study_data.MIN_PAIRS, fasilitas=facility.name,
                     instrumen=instrument.title))
        return
    labels = _analysis_labels(turn)
    from analysis import draw_chart, render_compact, write_xlsx

    audit.record(session, action="analysis", now=turn.now, actor="telegram", actor_user_id=staff.user_id,
                 facility_id=staff.facility_id, rows=scores.n, detail={"instrument": instrument.id})
    header = t(turn, "analysis_header", fasilitas=facility.name, instrumen=instrument.title, n=scores.n)
    turn.reply(html.escape(header) + "\n<pre>" + html.escape(render_compact(report, labels)) + "</pre>",
               parse_mode="HTML")
    with tempfile.TemporaryDirectory() as tmp:
        chart = Path(tmp) / "grafik.png"
        book = Path(tmp) / "analisis.xlsx"
        draw_chart(report, chart, labels)
        write_xlsx(report, book, labels)
        chart_bytes, book_bytes = chart.read_bytes(), book.read_bytes()
    turn.photo(chart_bytes, t(turn, "analysis_chart_caption", n=scores.n))
    turn.document(book_bytes, f"analisis-{facility.code}-{instrument.id}.xlsx",
                  t(turn, "analysis_book_caption", instrumen=instrument.title))


# -- /qr -----------------------------------------------------------------------------------------------

def qr_png(data: str) -> bytes:
    import segno

    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=10, border=4)
    return buffer.getvalue()


@turn_handler
def qr(turn: Turn) -> None:
    staff = _staff_or_refuse(turn)
    if staff is None:
        return
    facility = facilities.get(turn.session, staff.facility_id)
    url = rules.registration_link(turn.rt.username, facility)
    turn.photo(qr_png(url), t(turn, "qr_caption", fasilitas=facility.name, tautan=url, kode=facility.code))


# -- /undang -------------------------------------------------------------------------------------------

@turn_handler
def invite(turn: Turn) -> None:
    staff = _staff_or_refuse(turn)
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


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("bidan", help_command, filters=private))
    app.add_handler(CommandHandler("pasien", patients, filters=private))
    app.add_handler(CommandHandler("export", export, filters=private))
    app.add_handler(CommandHandler("analisis", analysis, filters=private))
    app.add_handler(CommandHandler("qr", qr, filters=private))
    app.add_handler(CommandHandler("undang", invite, filters=private))
    app.add_handler(CallbackQueryHandler(on_callback, pattern=r"^mw:"))
