"""The dashboard's web server (aiohttp), started inside the bot's process next to python-telegram-bot.

Routes: ``/app/`` (the page and its files), ``/app/api/texts`` (the page's Indonesian words, public), and the
authenticated JSON API (``/app/api/analysis?protocol=P&version=V`` is the per-protocol report of /analisis,
``POST /app/api/analysis/book`` sends its workbook into her chat). Every API call needs ``Authorization: tma <initData>``: a missing, forged or expired
one gets 401, a valid Telegram user who is not an active midwife gets 403, and a family, alert or question of
another facility (or none at all) gets 403 — the same answer either way, as in the chat.

Handlers are synchronous inside one database session (like a chat update), run off the event loop in the
runtime's database thread pool (a side thread on SQLite: ``Runtime.run_off_loop``), then send what they queued
through the bot (edits of the alert messages, the family's notices, an export document).
"""

from __future__ import annotations

import base64
import logging
from pathlib import Path

from aiohttp import web
from telegram.ext import Application

from bot.core.outgoing import Outgoing
from bot.core.runtime import get_runtime
from bot.core.services import WEB_ROUTES_KEY, Service
from bot.export import protocol_report
from bot.flows import alerts as alert_flow
from bot.flows import desk, desk_needs, study_data, study_report
from bot.web import actions, guard
from bot.web.calls import APP_KEY, Call, Refused, _app, _chat_id, _family, _int, api
from content import health_topics
from storage import facilities, research, vitals
from storage import questions as question_store
from storage import staff as staff_store
from storage.models import User

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
RUNNER_KEY = "web_runner"
PORT_KEY = "web_port"
TEXT_PREFIX = "dashboard."


def _iso(instant) -> str | None:
    return instant.isoformat() if instant is not None else None


def _auto_topic(q) -> str | None:
    """The topic of a message the bot answered itself (content/health_answers.yaml), else None."""
    if q.kind not in question_store.AUTO_ANSWERED:
        return None
    topic = health_topics.topics().match(q.text)
    return topic.title if topic else "-"


def _local(instant, tz: str) -> str:
    return alert_flow.local_time(instant, tz) if instant is not None else "-"


def _role(call: Call, role: str) -> str:
    key = f"midwife.role_{role}"
    return call.t(key) if call.rt.content.has_text(key) else role


# -- read ------------------------------------------------------------------------------------------

def me(call: Call, request, body) -> dict:
    facility = facilities.get(call.session, call.staff.facility_id)
    user = call.session.get(User, call.staff.user_id)
    return {"name": staff_store.display_name(call.staff, user), "facility": facility.name,
            "facility_code": facility.code, "hours": facility.hours, "exports": list(actions.EXPORT_FORMATS),
            "filters": list(desk.FILTERS)}


def family_rows(call: Call) -> list[dict]:
    content = call.rt.content
    rows = desk.triage(call.session, content, call.staff.facility_id, now=call.rt.clock.now())
    out = []
    for r in rows:
        s = r.summary
        fam = s.family
        protocol = content.protocols.get(fam.protocol_id)
        out.append({
            "id": fam.id, "code": fam.code, "name": s.mother_name or "-", "day": s.day,
            "protocol": protocol.title if protocol else fam.protocol_id,
            "sessions_done": s.sessions_done, "sessions_planned": s.sessions_planned,
            "pre_done": s.pre_done, "post_done": s.post_done, "class": s.latest_class_label,
            "checklists": desk_needs.occasion_marks(content, s.occasions),
            "checklists_done": sum(1 for o in s.occasions if o.state == "done"),
            "needs": [line.strip() for line in desk_needs.needs(content, r)],
            "open_alerts": len(r.open_alerts), "open_questions": r.open_questions, "due": r.due,
            "unreachable": [m.name for m in s.unreachable], "rank": r.rank,
            "alert_since": _iso(r.oldest_alert.raised_at) if r.oldest_alert else None,
            "alert_signs": [alert_flow.sign_text(content, a.sign_id) for a in r.open_alerts],
            "last_contact": _iso(r.last_contact), "last_contact_local": _local(r.last_contact, fam.timezone),
        })
    return out


def families(call: Call, request, body) -> dict:
    return {"families": family_rows(call)}


def family(call: Call, request, body) -> dict:
    fam = _family(call, _int(request, "id"))
    content = call.rt.content
    session = call.session
    detail = study_data.family_detail(session, content, fam, now=call.rt.clock.now())
    tz = fam.timezone
    protocol = content.protocols.get(fam.protocol_id)
    s = detail.summary
    members = [{"name": c.name, "role": _role(call, c.role), "phone": c.phone,
                "tel": f"tel:{c.phone}" if c.phone else None, "wa": desk.wa_link(c.phone) if c.phone else None,
                "reachable": c.reachable} for c in desk.contacts(session, fam.id)]
    sessions = []
    for ms in detail.sessions:
        key = f"midwife.session_{ms.status}"
        sessions.append({"when": _local(ms.started_at, tz), "day": ms.postpartum_day,
                         "status": call.t(key) if content.has_text(key) else ms.status,
                         "minutes": round(ms.duration_seconds / 60) if ms.duration_seconds else None,
                         "stop_reason": desk.stop_reason_label(content, ms.stop_reason)
                         if ms.status == "stopped" else None})
    measurements = []
    for md in detail.measurements:
        m = md.measurement
        inst = content.instruments.get(m.instrument_id)
        measurements.append({
            "occasion": desk_needs.label_words(content, m.occasion),
            "title": inst.title if inst else m.instrument_id, "score": m.score, "class": md.class_label,
            "complete": m.completed_at is not None,
            "answers": [{"item": a.text, "answer": desk.answer_label(content, m.instrument_id, a.item_id, a.raw_value)}
                        for a in md.answers],
        })
    readings = [_vitals_json(call, v, tz) for v in vitals.for_family(session, fam.id)]
    alerts = [{"id": a.id, "when": _local(a.raised_at, tz), "sign": alert_flow.sign_text(content, a.sign_id),
               "words": a.words, "handled": a.handled_at is not None,
               "note": alert_flow.handled_note(session, content, a) if a.handled_at else None}
              for a in detail.alerts]
    replies = question_store.replies_for_family(session, fam.id)

    def reply_json(r) -> dict:
        return {"name": staff_store.name_in_facility(session, r.staff_user_id, fam.facility_id) or "-",
                "when": _local(r.sent_at, tz), "text": r.text}

    questions = [{"id": q.id, "when": _local(q.asked_at, tz), "text": q.text, "answered": q.answered_at is not None,
                  "kind": q.kind, "count": q.messages, "auto_topic": _auto_topic(q),
                  "replies": [reply_json(r) for r in replies if r.question_id == q.id]}
                 for q in question_store.for_family(session, fam.id)]
    return {"id": fam.id, "code": fam.code, "name": s.mother_name or "-", "day": s.day,
            "birth_date": fam.birth_date.strftime("%d/%m/%Y") if fam.birth_date else None,
            "protocol": protocol.title if protocol else fam.protocol_id,
            "sessions_done": s.sessions_done, "sessions_planned": s.sessions_planned,
            "occasions": desk_needs.occasion_lines(content, s.occasions),
            "members": members, "sessions": sessions, "vitals": readings, "measurements": measurements,
            "alerts": alerts,
            "questions": questions, "messages": [reply_json(r) for r in replies if r.question_id is None]}


def _vitals_json(call: Call, v, tz: str) -> dict:
    """A health worker's reading before a massage (a protocol with vitals, seed 002), in the words /vital uses."""
    outside = [call.t(f"vitals.name.{name}") for name in (v.outside or "").split(",") if name]
    return {"when": _local(v.measured_at, tz), "bp": f"{v.systolic}/{v.diastolic}", "pulse": v.pulse,
            "breathing": v.breathing, "normal": v.normal, "outside": ", ".join(outside),
            "massage": v.session_id is not None}


def _study_choice(call: Call, asked: dict) -> tuple[str, int | None, list[tuple[str, int]], list[tuple[int, int]]]:
    """(protocol, version, the facility's protocols, that protocol's versions) asked for: by default the
    protocol with the most families (as /analisis) and its newest version; versions are never pooled."""
    content, session, facility_id = call.rt.content, call.session, call.staff.facility_id
    used = protocol_report.protocols_used(session, content, facility_id)
    protocol_id = str(asked.get("protocol") or "").lower() or protocol_report.default_protocol(
        session, content, facilities.get(session, facility_id))
    if protocol_id not in content.protocols:
        raise Refused(400, "unknown protocol")
    versions = research.versions(session, protocol_id, facility_id)
    raw = asked.get("version")
    if raw in (None, ""):
        return protocol_id, versions[0][0] if versions else None, used, versions
    if not (str(raw).isascii() and str(raw).isdigit()) or int(raw) not in {v for v, _ in versions}:
        raise Refused(400, "unknown version")
    return protocol_id, int(raw), used, versions


def analysis(call: Call, request, body) -> dict:
    """The per-protocol study report /analisis shows: its messages (the page shows them as the chat does),
    the report as JSON (bot/flows/study_report.to_json), the primary pair's table and chart, and the choices
    of protocol and version when the facility's families are on more than one."""
    content = call.rt.content
    protocol_id, version, used, versions = _study_choice(call, request.query)
    made = protocol_report.protocol_report(call.session, content, call.staff, protocol_id, version,
                                           now=call.rt.clock.now(), actor="dashboard", apart=True)
    line = protocol_report.protocol_line(content, protocol_id)
    out = {
        "protocol": {"id": protocol_id, "version": made.study.version, "label": line},
        "choose_protocol": call.t("study.choose_protocol") if len(used) > 1 else None,
        "protocols": [{"id": p, "label": protocol_report.protocol_line(content, p), "n": n,
                       "selected": p == protocol_id} for p, n in used] if len(used) > 1 else [],
        "choose_version": call.t("study.choose_version", protokol=line) if len(versions) > 1 else None,
        "versions": [{"version": v, "label": call.t("study.version_line", versi=v, n=n), "n": n,
                      "selected": v == made.study.version} for v, n in versions] if len(versions) > 1 else [],
        "messages": made.messages,
        "summary": protocol_report.phone_text(content, made),
        "report": _worded(content, study_report.to_json(made.study, made.reports,
                                                        protocol_report.labels_of(content))),
        "ready": made.primary is not None,
    }
    if made.primary is None:
        out["message"] = protocol_report.too_few(content, made)
        return out
    chart, _ = protocol_report.chart_and_book(content, made, with_book=False)
    out.update(header=protocol_report.header(content, made), table=protocol_report.compact_table(content, made),
               n=made.primary.n, chart="data:image/png;base64," + base64.b64encode(chart).decode())
    return out


def _worded(content, report: dict) -> dict:
    """The report's JSON with the words the page shows beside its codes (Table 1's variables and categories,
    the test's name), as the chat report words them."""
    def word(key: str, code: str) -> str:
        return content.text(key) if content.has_text(key) else code

    for c in report.get("characteristics") or []:
        c["label"] = word(f"study.variable.{c['variable']}", c["variable"])
        for r in c["rows"]:
            r["label"] = word(f"study.category.{r['category']}", r["category"])
    for p in report.get("pairs") or []:
        if p.get("conclusion") and p["conclusion"].get("test"):
            p["conclusion"]["test_label"] = word(f"analysis.decision.test.{p['conclusion']['test']}",
                                                 p["conclusion"]["test"])
    return report


def analysis_book(call: Call, request, body) -> dict:
    """The workbook /analisis sends (the study sheets first), sent into her chat; audited as the chat does."""
    content = call.rt.content
    protocol_id, version, _, _ = _study_choice(call, body)
    user_chat = _chat_id(call)
    made = protocol_report.protocol_report(call.session, content, call.staff, protocol_id, version,
                                           now=call.rt.clock.now(), actor="dashboard", apart=True)
    if made.primary is None:
        return {"ok": False, "message": protocol_report.too_few(content, made)}
    _, book = protocol_report.chart_and_book(content, made)
    filename = protocol_report.book_filename(made)
    call.outgoing.append(Outgoing("document", chat_id=user_chat, data=book, filename=filename,
                                  text=protocol_report.book_caption(content, made)))
    return {"ok": True, "filename": filename, "message": call.t("desk.export_sent")}


# -- the page --------------------------------------------------------------------------------------

async def texts(request: web.Request) -> web.Response:
    content = get_runtime(_app(request)).content
    words = {k[len(TEXT_PREFIX):]: v for k, v in content.texts.items() if k.startswith(TEXT_PREFIX)}
    return web.json_response(words, headers={"Cache-Control": "no-cache"})  # from memory: no database, no file


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def to_index(request: web.Request) -> web.Response:
    raise web.HTTPFound("/app/")


def make_web_app(app: Application) -> web.Application:
    web_app = web.Application(client_max_size=64 * 1024)
    web_app[APP_KEY] = app
    guard.install(web_app)  # security headers and out-of-range ids, for every route (bot/web/guard.py)
    web_app.router.add_get("/app", to_index)
    web_app.router.add_get("/app/", index)
    web_app.router.add_static("/app/static/", STATIC, show_index=False)
    web_app.router.add_get("/app/api/texts", texts)
    web_app.router.add_get("/app/api/me", api(me))
    web_app.router.add_get("/app/api/families", api(families))
    web_app.router.add_get("/app/api/families/{id}", api(family))
    web_app.router.add_post("/app/api/families/{id}/message", api(actions.message))
    web_app.router.add_post("/app/api/alerts/{id}/ack", api(actions.ack))
    web_app.router.add_post("/app/api/questions/{id}/reply", api(actions.reply))
    web_app.router.add_get("/app/api/analysis", api(analysis))
    web_app.router.add_post("/app/api/analysis/book", api(analysis_book))
    web_app.router.add_post("/app/api/export", api(actions.export))
    for add_routes in app.bot_data.get(WEB_ROUTES_KEY, ()):  # the WhatsApp webhook, when it is on
        add_routes(web_app)
    return web_app


async def start_web(app: Application) -> int | None:
    """Start the dashboard on WEB_PORT (0: any free port) next to the bot; returns the port, or None if off."""
    rt = get_runtime(app)
    port = rt.settings.web_port
    if port is None or app.bot_data.get(RUNNER_KEY) is not None:
        return app.bot_data.get(PORT_KEY)
    runner = web.AppRunner(make_web_app(app), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, rt.settings.web_listen, port)
    try:
        await site.start()
    except OSError as exc:  # the port is taken: the bot itself must keep running for the families
        log.error("dashboard could not listen on %s:%s (%s); the bot runs without it (set WEB_PORT)",
                  rt.settings.web_listen, port, exc)
        await runner.cleanup()
        return None
    sockets = getattr(site._server, "sockets", None) or []  # noqa: SLF001 - the port chosen for port 0
    actual = sockets[0].getsockname()[1] if sockets else port
    app.bot_data[RUNNER_KEY] = runner
    app.bot_data[PORT_KEY] = actual
    log.info("dashboard listening on %s:%s (/app/)", rt.settings.web_listen, actual)
    return actual


async def stop_web(app: Application) -> None:
    runner = app.bot_data.pop(RUNNER_KEY, None)
    app.bot_data.pop(PORT_KEY, None)
    if runner is not None:
        await runner.cleanup()


# What the run command (and the test harness) start next to the bot: the dashboard, when WEB_PORT is set.
DASHBOARD = Service("dashboard", start_web, stop_web)
