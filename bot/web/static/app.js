// The midwife's dashboard. Plain JavaScript, no build step. Every API call carries Telegram's initData:
// "Authorization: tma <initData>"; the server checks it (bot/web/auth.py).
"use strict";

const tg = (window.Telegram && window.Telegram.WebApp) || null;
const initData = tg ? tg.initData || "" : "";
let T = {};
let me = null;
let rows = [];
let sortKey = "rank";
let sortAsc = true;
const PAGE = 100;  // rows drawn at once; "Tampilkan lagi" draws the next ones (search and filters see all)
let limit = PAGE;

function t(key, params) {
  let s = T[key] !== undefined ? T[key] : key;
  for (const [k, v] of Object.entries(params || {})) s = s.split("{" + k + "}").join(String(v));
  return s;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

class ApiError extends Error {
  constructor(status) { super("HTTP " + status); this.status = status; }
}

async function api(path, body) {
  const options = { headers: { "Authorization": "tma " + initData } };
  if (body !== undefined) {
    options.method = "POST";
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch("api/" + path, options);
  if (!response.ok) throw new ApiError(response.status);
  return response.json();
}

function showError(err) {
  const status = err && err.status;
  document.getElementById("main").hidden = true;
  document.getElementById("loading").hidden = true;
  document.getElementById("error").hidden = false;
  document.getElementById("error-title").textContent = t("error_title");
  document.getElementById("error-text").textContent =
    status === 401 ? t("error_401") : status === 403 ? t("error_403") : t("error_other");
  document.body.dataset.state = "error-" + (status || "other");
}

function show(tab) {
  for (const name of ["families", "family", "analysis", "export"]) {
    document.getElementById("tab-" + name).hidden = name !== tab;
  }
  for (const b of document.querySelectorAll("#tabs button")) {
    b.classList.toggle("active", b.dataset.tab === tab || (tab === "family" && b.dataset.tab === "families"));
  }
  if (tab === "analysis") loadAnalysis(null);
  if (tab === "export") renderExport();
  if (tg && tg.BackButton) { tab === "family" ? tg.BackButton.show() : tg.BackButton.hide(); }
}

// -- the families table ------------------------------------------------------------------------------

const COLUMNS = [
  ["family", "col_family", r => r.name.toLowerCase()],
  ["alerts", "col_alerts", r => -(r.open_alerts * 100 + r.open_questions)],
  ["day", "col_day", r => r.day === null ? 99 : r.day],
  ["sessions", "col_sessions", r => r.sessions_done, "hide-small"],
  ["checklists", "col_checklists", r => r.checklists_done],
  ["protocol", "col_protocol", r => r.protocol, "hide-small"],
  ["contact", "col_contact", r => r.last_contact || "", "hide-small"],
];

function cell(r, key) {
  switch (key) {
    case "family": return [r.name, el("br"), el("span", { class: "code" }, r.code)];
    case "day": return r.day === null ? t("none") : String(r.day);
    case "protocol": return r.protocol;
    case "sessions": return r.sessions_done + "/" + r.sessions_planned;
    case "checklists": return el("span", { class: "marks" }, r.checklists);
    // What she needs to do: the reasons /pasien gives (bot/flows/desk_needs.py), one line each.
    case "alerts": return r.needs.length ? r.needs.map((line, i) => el("div", {
      class: i === 0 && r.open_alerts ? "need alert-text" : "need" }, line)) : t("none");
    case "contact": return r.last_contact ? r.last_contact_local : t("none");
  }
  return "";
}

function matches(r, filter, query) {
  if (query && !(r.name.toLowerCase().includes(query) || r.code.toLowerCase().includes(query))) return false;
  switch (filter) {
    case "": return true;
    case "bahaya": return r.open_alerts > 0;
    case "tanya": return r.open_questions > 0;
    case "ceklis": return r.due.length > 0;
    case "putus": return r.unreachable.length > 0;
    default: return filter.startsWith("hari") ? r.day === Number(filter.slice(4)) : true;
  }
}

function renderTable() {
  const filter = document.getElementById("filter").value;
  const query = document.getElementById("search").value.trim().toLowerCase();
  const column = COLUMNS.find(c => c[0] === sortKey);
  const keyOf = column ? column[2] : (r => r.rank);
  const shown = rows.filter(r => matches(r, filter, query));
  if (sortKey !== "rank") {
    shown.sort((a, b) => { const x = keyOf(a), y = keyOf(b); return (x < y ? -1 : x > y ? 1 : 0) * (sortAsc ? 1 : -1); });
  }
  const head = document.querySelector("#families thead tr");
  head.replaceChildren(...COLUMNS.map(([key, label, , cls]) => el("th", {
    "data-key": key, class: [cls, key === sortKey ? "sorted" : "", key === sortKey && sortAsc ? "asc" : ""].join(" ").trim() || null,
    onclick: () => { if (sortKey === key) sortAsc = !sortAsc; else { sortKey = key; sortAsc = true; } renderTable(); },
  }, t(label))));
  const body = document.querySelector("#families tbody");
  const drawn = shown.slice(0, limit);
  body.replaceChildren(...drawn.map(r => el("tr", {
    "data-id": r.id, "data-code": r.code, class: r.open_alerts ? "alert" : null, onclick: () => openFamily(r.id),
  }, COLUMNS.map(([key, , , cls]) => el("td", { class: cls || null }, cell(r, key))))));
  document.getElementById("count").textContent = t("count", { jumlah: shown.length }) + " · " + t("legend");
  const more = document.getElementById("more");
  more.hidden = shown.length <= drawn.length;
  more.textContent = t("more", { jumlah: shown.length - drawn.length });
  const empty = document.getElementById("empty");
  empty.hidden = shown.length > 0;
  empty.textContent = t("empty");
}

async function loadFamilies() {
  const data = await api("families");
  rows = data.families;
  renderTable();
  document.body.dataset.state = "families";
}

// -- one family ------------------------------------------------------------------------------------

function sendBox(placeholder, label, path, after) {
  const area = el("textarea", { placeholder });
  const note = el("span", { class: "muted" });
  const button = el("button", { class: "act", onclick: async () => {
    if (area.value.trim().length < 2) return;
    button.disabled = true;
    try { await api(path, { text: area.value }); area.value = ""; note.textContent = t("sent"); if (after) await after(); }
    catch (err) { if (err.status === 401 || err.status === 403) showError(err); else note.textContent = t("error_other"); }
    finally { button.disabled = false; }
  } }, label);
  return el("div", {}, area, el("div", { class: "row" }, button, note));
}

async function openFamily(id) {
  const box = document.getElementById("tab-family");
  document.body.dataset.state = "loading";
  box.replaceChildren(el("p", { class: "muted" }, t("loading")));
  show("family");
  let f;
  try { f = await api("families/" + id); } catch (err) { showError(err); return; }
  const reload = () => openFamily(id);
  const parts = [
    el("button", { class: "act", id: "back", onclick: () => { show("families"); loadFamilies().catch(showError); } }, t("back")),
    el("h1", {}, t("family_title", { kode: f.code, nama: f.name })),
    el("div", { class: "muted" }, t("family_facts", { lahir: f.birth_date || t("none"), hari: f.day === null ? "?" : f.day,
      protokol: f.protocol, selesai: f.sessions_done, rencana: f.sessions_planned })),
  ];
  const open = f.alerts.filter(a => !a.handled);
  if (f.alerts.length) {
    parts.push(el("h2", {}, t("section_alerts")));
    for (const a of f.alerts) {
      // Handling asks first, with an optional note for her colleagues (never sent to the family).
      const confirmBox = el("div", { class: "confirm", hidden: true });
      const note = el("textarea", { class: "ack-note", placeholder: t("ack_note_placeholder"), maxlength: "300" });
      const yes = el("button", { class: "act ack-yes", onclick: async () => {
        yes.disabled = true;
        try { await api("alerts/" + a.id + "/ack", { note: note.value }); await reload(); } catch (err) { showError(err); }
      } }, t("ack_yes"));
      const cancel = el("button", { class: "ack-cancel", onclick: () => { confirmBox.hidden = true; button.hidden = false; } },
        t("ack_cancel"));
      confirmBox.append(el("p", {}, t("ack_confirm")), note, el("div", { class: "row" }, yes, cancel));
      const button = a.handled ? null : el("button", { class: "act ack", "data-alert": a.id, onclick: () => {
        button.hidden = true; confirmBox.hidden = false; note.focus();
      } }, t("handled_button"));
      parts.push(el("div", { class: "card" }, el("strong", { class: a.handled ? null : "alert-text" }, a.sign),
        a.words ? el("div", { class: "words" }, t("family_words", { kata: a.words })) : null,
        el("div", { class: "muted" }, a.when + " · " + (a.handled ? a.note : t("open_alert"))), button,
        a.handled ? null : confirmBox));
    }
  }
  parts.push(el("h2", {}, t("section_contact")));
  for (const m of f.members) {
    parts.push(el("div", { class: "card" }, el("strong", {}, m.name), " (" + m.role + ")",
      m.reachable ? null : el("div", { class: "muted" }, t("unreachable")),
      m.phone ? el("div", { class: "row" }, m.phone, el("a", { href: m.tel }, t("call")),
        el("a", { href: m.wa, target: "_blank", rel: "noopener" }, t("whatsapp")))
        : el("div", { class: "muted" }, t("no_phone"))));
  }
  parts.push(el("div", { class: "card" }, el("strong", {}, t("send_message")),
    sendBox(t("message_placeholder"), t("send"), "families/" + f.id + "/message", reload)));
  if (f.questions.length || f.messages.length) {
    parts.push(el("h2", {}, t("section_questions")));
    for (const q of f.questions) {
      parts.push(el("div", { class: "card question", "data-question": q.id }, el("div", { class: "muted" }, q.when),
        q.kind === "family" ? el("strong", {}, t("family_message", { jumlah: q.count })) : null,
        q.auto_topic ? el("strong", {}, t("auto_answered", { topik: q.auto_topic })) : null,
        el("div", {}, q.text || t("none")),
        q.replies.map(r => el("div", { class: "muted" }, "↳ " + r.name + ", " + r.when + ": " + r.text)),
        q.answered ? null : el("div", { class: "alert-text" }, t("question_open")),
        sendBox(t("reply_placeholder"), t("reply_button"), "questions/" + q.id + "/reply", reload)));
    }
    for (const m of f.messages) parts.push(el("div", { class: "card muted" }, m.name + ", " + m.when + ": " + m.text));
  }
  parts.push(el("h2", {}, t("section_sessions")));
  if (!f.sessions.length) parts.push(el("div", { class: "muted" }, t("nothing")));
  for (const s of f.sessions) {
    parts.push(el("div", {}, t("session_line", { waktu: s.when, hari: s.day === null ? "?" : s.day, status: s.status }),
      s.minutes ? " · " + t("minutes", { menit: s.minutes }) : "",
      s.stop_reason ? " · " + t("stopped_because", { alasan: s.stop_reason }) : ""));
  }
  if (f.vitals.length) {  // a protocol whose massage a health worker gives: her readings before it (/vital)
    parts.push(el("h2", {}, t("section_vitals")));
    for (const v of f.vitals) {
      parts.push(el("div", {}, t("vitals_line", { waktu: v.when, td: v.bp, nadi: v.pulse, napas: v.breathing }),
        " · ", v.normal ? t("vitals_normal") : el("span", { class: "alert-text" }, t("vitals_outside", { tanda: v.outside })),
        v.massage ? " · " + t("vitals_massage") : ""));
    }
  }
  if (f.occasions.length) {
    parts.push(el("h2", {}, t("section_occasions")), el("div", { class: "card occasions" },
      f.occasions.map(line => el("div", {}, line))));
  }
  parts.push(el("h2", {}, t("section_checklists")));
  if (!f.measurements.length) parts.push(el("div", { class: "muted" }, t("nothing")));
  for (const m of f.measurements) {
    parts.push(el("div", { class: "card" }, el("strong", {}, m.occasion + " – " + m.title),
      el("div", { class: "muted" }, m.complete ? t("score_line", { skor: m.score, kelas: m.class || t("none") }) : t("incomplete")),
      m.answers.map(a => el("div", {}, a.item + ": ", el("strong", {}, a.answer)))));
  }
  box.replaceChildren(...parts);
  document.body.dataset.state = "family";
  if (open.length) box.dataset.openAlerts = String(open.length); else delete box.dataset.openAlerts;
}

// -- analysis and export ---------------------------------------------------------------------------

// The per-protocol study report of /analisis: its messages as the chat shows them (worded by the server),
// a selector when her facility's families are on more than one protocol or version, the primary pair's
// table and chart, and its workbook sent into her chat.
function choiceSelect(id, prompt, options, pick) {
  const select = el("select", { id, onchange: () => pick(select.value) },
    options.map(o => el("option", { value: o.value, selected: o.selected }, o.label)));
  return el("label", { class: "choice" }, el("span", { class: "muted" }, prompt), select);
}

async function loadAnalysis(choice) {
  const box = document.getElementById("tab-analysis");
  document.body.dataset.state = "loading";
  box.replaceChildren(el("p", { class: "muted" }, t("loading")));
  const query = choice ? "?protocol=" + encodeURIComponent(choice.protocol) +
    (choice.version ? "&version=" + encodeURIComponent(choice.version) : "") : "";
  let a;
  try { a = await api("analysis" + query); } catch (err) { showError(err); return; }
  const parts = [el("p", { class: "muted" }, t("analysis_intro"))];
  if (a.protocols.length) {
    parts.push(choiceSelect("analysis-protocol", a.choose_protocol,
      a.protocols.map(p => ({ value: p.id, label: p.label, selected: p.selected })),
      value => loadAnalysis({ protocol: value })));
  }
  if (a.versions.length) {
    parts.push(choiceSelect("analysis-version", a.choose_version,
      a.versions.map(v => ({ value: String(v.version), label: v.label, selected: v.selected })),
      value => loadAnalysis({ protocol: a.protocol.id, version: value })));
  }
  parts.push(el("p", { class: "summary" }, a.summary), ...reportTables(a.report));
  if (!a.ready) {
    parts.push(el("p", { class: "too-few" }, a.message));
  } else {
    const note = el("p", { class: "muted", id: "analysis-note" });
    const book = el("button", { class: "act", id: "analysis-book", onclick: async () => {
      book.disabled = true;
      note.textContent = t("export_sending");
      try {
        const r = await api("analysis/book", { protocol: a.protocol.id, version: a.protocol.version });
        note.textContent = r.message;
      } catch (err) { if (err.status === 401 || err.status === 403) showError(err); else note.textContent = t("error_other"); }
      finally { book.disabled = false; }
    } }, t("analysis_book"));
    parts.push(el("h2", {}, a.header), el("img", { class: "chart", src: a.chart, alt: t("chart_alt") }), book, note);
  }
  box.replaceChildren(...parts);
  box.dataset.protocol = a.protocol.id;
  box.dataset.version = String(a.protocol.version);
  document.body.dataset.state = "analysis";
}

// The study report as tables, from its JSON (bot/flows/study_report.to_json): the numbers are the report's own.
const num = (x, d = 1) => x === null || x === undefined ? "-" : Number(x).toFixed(d).replace(/\.?0+$/, "").replace(".", ",");
const pval = p => p === null || p === undefined ? "-" : p < 0.001 ? "< 0,001" : Number(p).toFixed(3).replace(".", ",");
const pct = x => x === null || x === undefined ? "-" : Math.round(x * 100) + "%";

function table(cls, head, rows) {
  return el("div", { class: "scroll" }, el("table", { class: "report " + cls },
    el("thead", {}, el("tr", {}, head.map(h => el("th", {}, h)))),
    el("tbody", {}, rows.map(r => el("tr", {}, r.map(c => el("td", {}, c)))))));
}

function reportTables(r) {
  if (!r || !r.flow) return [];
  const f = r.flow;
  const out = [el("h2", {}, t("r_flow")), table("flow", [t("r_step"), t("r_families")], [
    [t("r_registered"), f.registered], [t("r_consented"), f.consented_research],
    [t("r_pre_on_time"), f.pre_on_time], [t("r_post_on_time"), f.post_on_time], [t("r_analysed"), f.analysed]])];
  for (const p of r.pairs || []) {
    out.push(el("h2", {}, p.day ? t("r_pair_day", { hari: p.day }) : t("r_pair")));
    const c = p.conclusion || {};
    const pre = p.pre_descriptives || {}, post = p.post_descriptives || {};
    out.push(table("pair", ["", t("r_before"), t("r_after")], [
      [t("r_n"), p.n, p.n], [t("r_median"), num(pre.median), num(post.median)], [t("r_mean"), num(pre.mean, 2), num(post.mean, 2)]]));
    const levels = (p.levels || []).filter(l => l.occasion === p.pre || l.occasion === p.post);
    if (levels.length === 2) {
      out.push(table("levels", [t("r_level"), t("r_before"), t("r_after")], levels[0].levels.map((l, i) => {
        const a = levels[1].levels[i] || {};
        return [l.label, l.n + " (" + pct(l.share) + ")", (a.n ?? "-") + " (" + pct(a.share) + ")"];
      })));
    }
    if (c.test) {
      out.push(el("p", {}, t(c.significant ? "r_significant" : "r_not_significant", { uji: c.test_label || c.test, p: pval(c.p) })));
    } else {
      out.push(el("p", { class: "muted" }, t("r_too_few", { n: p.n || 0 })));
    }
    if ((p.warnings || []).length) {
      out.push(el("details", {}, el("summary", {}, t("r_warnings", { jumlah: p.warnings.length })),
        el("ul", {}, p.warnings.map(w => el("li", {}, w.text)))));
    }
  }
  for (const c of r.characteristics || []) {
    if (!c.rows.length) continue;
    out.push(el("h2", {}, c.label || c.variable), table("t1", [t("r_category"), t("r_families")],
      c.rows.map(x => [x.label || x.category, x.n + " (" + pct(x.share) + ")"])));
  }
  return out;
}

function renderExport() {
  const box = document.getElementById("tab-export");
  const names = el("input", { type: "checkbox", id: "export-names" });
  const note = el("p", { class: "muted", id: "export-note" });
  const button = (fmt, label) => el("button", { class: "act", "data-format": fmt, onclick: async () => {
    note.textContent = t("export_sending");
    try { const r = await api("export", { format: fmt, names: names.checked }); note.textContent = r.message; }
    catch (err) { if (err.status === 401 || err.status === 403) showError(err); else note.textContent = t("error_other"); }
  } }, label);
  box.replaceChildren(el("p", { class: "muted" }, t("export_intro")),
    el("div", { class: "exports" }, button("xlsx", t("export_xlsx")), button("sav", t("export_sav")), button("csv", t("export_csv"))),
    el("label", {}, names, " ", t("export_names")), note);
}

// -- start -----------------------------------------------------------------------------------------

async function start() {
  if (tg) { try { tg.ready(); tg.expand(); } catch (e) { /* older clients */ } }
  try { T = await (await fetch("api/texts")).json(); } catch (e) { T = {}; }
  document.getElementById("loading").textContent = t("loading");
  document.title = t("title");
  try { me = await api("me"); } catch (err) { showError(err); return; }
  document.getElementById("title").textContent = t("title");
  document.getElementById("who").textContent = t("header", { nama: me.name, fasilitas: me.facility });
  for (const b of document.querySelectorAll("#tabs button")) {
    b.textContent = t("tab_" + b.dataset.tab);
    b.addEventListener("click", () => show(b.dataset.tab));
  }
  document.getElementById("search").placeholder = t("search");
  const filter = document.getElementById("filter");
  filter.replaceChildren(el("option", { value: "" }, t("filter_all")),
    ...me.filters.map(f => el("option", { value: f }, t("filter_" + f))));
  filter.addEventListener("change", () => { limit = PAGE; renderTable(); });
  document.getElementById("search").addEventListener("input", () => { limit = PAGE; renderTable(); });
  document.getElementById("more").addEventListener("click", () => { limit += PAGE; renderTable(); });
  if (tg && tg.BackButton) tg.BackButton.onClick(() => { show("families"); loadFamilies().catch(showError); });
  document.getElementById("loading").hidden = true;
  document.getElementById("main").hidden = false;
  try { await loadFamilies(); } catch (err) { showError(err); }
}

start();
