// jstrace traces: the page of `jstrace collect --http` and `jstrace ui`.
// Everything from the store is put into the page as text (textContent),
// never as markup.
"use strict";

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) {
    if (c != null) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function fmtDuration(ns) {
  const ms = ns / 1e6;
  if (ms >= 1000) return (ms / 1000).toFixed(2) + "s";
  if (ms >= 1) return ms.toFixed(2) + "ms";
  return (ns / 1e3).toFixed(1) + "µs";
}

function fmtTime(iso) {
  const d = new Date(iso);
  return isNaN(d) ? "" : d.toISOString().replace("T", " ");
}

function status(text) { $("#status").textContent = text; }

async function getJSON(url) {
  const r = await fetch(url, { headers: { Accept: "application/json" } });
  let body = null;
  try { body = await r.json(); } catch (e) { /* not JSON */ }
  if (!r.ok) throw new Error((body && body.error) || r.status + " " + r.statusText);
  return body;
}

// route reads the location's hash: #/recent, #/slow, #/errors (with a
// query), or #/trace/<id>.
function route() {
  const h = location.hash.replace(/^#\/?/, "");
  const [path, query] = h.split("?");
  const parts = path.split("/");
  if (parts[0] === "trace" && parts[1]) return showTrace(parts[1]);
  const list = ["recent", "slow", "errors"].includes(parts[0]) ? parts[0] : "recent";
  return showList(list, new URLSearchParams(query || ""));
}

function setTab(list) {
  for (const a of document.querySelectorAll("#tabs a")) {
    a.classList.toggle("active", a.dataset.list === list);
    a.href = "#/" + a.dataset.list + location.hash.replace(/^[^?]*/, "");
  }
}

async function showList(list, params) {
  $("#trace-view").hidden = true;
  $("#list-view").hidden = false;
  setTab(list);
  for (const k of ["service", "operation", "day"]) $("#q-" + k).value = params.get(k) || "";
  params.set("list", list);
  status("loading…");
  $("#traces tbody").replaceChildren(); // no stale rows of another list under this tab
  let data;
  try {
    data = await getJSON("api/traces?" + params.toString());
  } catch (e) {
    status("could not list traces: " + e.message);
    return;
  }
  const body = $("#traces tbody");
  body.replaceChildren();
  for (const t of data.traces) {
    const tr = el("tr", { "data-trace": t.trace_id },
      el("td", { class: "mono" }, t.trace_id),
      el("td", null, fmtTime(t.start)),
      el("td", { class: "num" }, fmtDuration(t.duration_ns)),
      el("td", { class: "num" }, t.spans),
      el("td", null, (t.services || []).join(", ")),
      el("td", null, t.service + " " + t.operation + (t.root ? "" : " (no root yet)")),
      el("td", { class: "error" }, t.error || ""));
    tr.addEventListener("click", () => { location.hash = "#/trace/" + t.trace_id; });
    body.append(tr);
  }
  const names = { recent: "recent", slow: "slowest", errors: "failing" };
  status(data.traces.length ? data.traces.length + " " + names[list] + " traces" : "no " + names[list] + " traces");
}

async function showTrace(id) {
  $("#list-view").hidden = true;
  $("#trace-view").hidden = false;
  setTab("");
  $("#details").hidden = true;
  status("loading trace…");
  let t;
  try {
    t = await getJSON("api/traces/" + encodeURIComponent(id));
  } catch (e) {
    $("#waterfall").replaceChildren();
    $("#trace-title").textContent = "trace " + id;
    $("#trace-summary").textContent = "";
    status(e.message);
    return;
  }
  status("");
  $("#trace-title").textContent = "trace " + t.trace_id;
  const failed = t.spans.filter((s) => s.error).length;
  const bn = t.spans.find((s) => s.span_id === t.bottleneck);
  $("#trace-summary").textContent = t.spans.length + " spans, " + fmtDuration(t.duration_ns) +
    (failed ? ", " + failed + " failed" : "") +
    (bn ? " — bottleneck: " + bn.service + " " + bn.operation + " " + fmtDuration(t.bottleneck_self_ns) + " self" : "") +
    (t.orphans ? ", " + t.orphans + " without their parent" : "");
  const total = Math.max(t.duration_ns, 1);
  const wf = $("#waterfall");
  wf.replaceChildren();
  for (const s of t.spans) {
    const left = Math.min(Math.max(s.offset_ns / total, 0), 1);
    const width = Math.min(Math.max(s.duration_ns / total, 0), 1 - left);
    const bar = el("div", { class: "bar" });
    bar.style.left = (left * 100).toFixed(3) + "%";
    bar.style.width = (width * 100).toFixed(3) + "%";
    const label = el("div", { class: "label" }, el("span", { class: "svc" }, s.service), s.operation);
    label.style.paddingLeft = (s.depth * 1.1) + "rem";
    const isBn = s.span_id === t.bottleneck;
    if (isBn) label.append(el("span", { class: "marker" }, "◀ bottleneck"));
    const cls = ["row", s.critical ? "critical" : "", s.error ? "failed" : "", isBn ? "bottleneck" : ""].filter(Boolean).join(" ");
    const row = el("div", { class: cls, role: "treeitem", "data-span": s.span_id }, label, el("div", { class: "track" }, bar), el("div", { class: "dur" }, fmtDuration(s.duration_ns)));
    if (s.error) row.append(el("div", { class: "errline" }, (s.error_type ? s.error_type + ": " : "") + s.error));
    row.addEventListener("click", () => showDetails(s, row));
    wf.append(row);
  }
}

function showDetails(s, row) {
  for (const r of document.querySelectorAll(".row.selected")) r.classList.remove("selected");
  row.classList.add("selected");
  const rows = [
    ["service", s.service], ["operation", s.operation], ["span ID", s.span_id], ["parent ID", s.parent_id || "(root)"],
    ["start", fmtTime(s.start)], ["duration", fmtDuration(s.duration_ns)], ["host", s.host || ""],
  ];
  if (s.error) rows.push(["error", (s.error_type ? s.error_type + ": " : "") + s.error]);
  for (const tag of s.tags || []) rows.push(["tag " + tag.key, tag.value]);
  for (const l of s.logs || []) {
    const fields = (l.fields || []).map((f) => f.key + "=" + f.value).join(" ");
    rows.push(["log " + fmtTime(l.time), l.message + (fields ? " " + fields : "")]);
  }
  const d = $("#details");
  d.replaceChildren(el("h3", null, s.service + " " + s.operation),
    el("table", null, el("tbody", null, ...rows.map(([k, v]) => el("tr", null, el("td", null, k), el("td", null, v))))));
  d.hidden = false;
}

function search(ev) {
  ev.preventDefault();
  const id = $("#q-trace").value.trim().toLowerCase();
  if (id) { location.hash = "#/trace/" + id; return; }
  const p = new URLSearchParams();
  for (const k of ["service", "operation", "day"]) {
    const v = $("#q-" + k).value.trim();
    if (v) p.set(k, v);
  }
  const list = p.has("day") ? "errors" : (location.hash.match(/^#\/(recent|slow|errors)/) || [, "recent"])[1];
  location.hash = "#/" + list + (p.toString() ? "?" + p : "");
}

window.addEventListener("hashchange", route);
document.addEventListener("DOMContentLoaded", () => {
  $("#search").addEventListener("submit", search);
  route();
});
