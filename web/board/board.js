// The stop board: fetch the stop's arrivals every few seconds, count down every second against the server's
// clock (a display's own clock is often wrong), keep showing the last answer when the network drops.
"use strict";

const LABELS = {
  ko: { route: "노선", headsign: "행선지", when: "도착", arriving: "곧 도착", min: "분", live: "● 실시간",
        table: "시간표", none: "도착 예정 버스가 없습니다", offline: "연결 끊김 — 마지막 정보 표시 중",
        updated: "갱신", legend: "● 실시간 위치 기반 · 시간표 = 운행 계획" },
  en: { route: "Route", headsign: "To", when: "Arrives", arriving: "Arriving", min: "min", live: "● live",
        table: "sched.", none: "No buses due", offline: "Offline — showing the last update",
        updated: "Updated", legend: "● from live positions · sched. = timetable" },
};

const body = document.body;
const stopId = body.dataset.stopId;
const lang = LABELS[body.dataset.lang] ? body.dataset.lang : "ko";
const text = LABELS[lang];
const refreshMs = Math.max(5, Number(body.dataset.refreshS) || 15) * 1000;
const zone = body.dataset.timezone || undefined;
let arrivals = [];
let offsetMs = 0;  // server clock minus this display's clock
let lastOk = null;

function serverNow() { return Date.now() + offsetMs; }

function clockText(ms) {
  return new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: zone })
    .format(new Date(ms));
}

function whenText(predictedMs) {
  const seconds = (predictedMs - serverNow()) / 1000;
  if (seconds < 60) return { label: text.arriving, soon: true };
  const minutes = Math.floor(seconds / 60);
  return { label: `${minutes}${lang === "ko" ? "" : " "}${text.min}`, soon: minutes <= 2 };
}

function render() {
  document.getElementById("clock").textContent = clockText(serverNow());
  const tbody = document.querySelector("#arrivals tbody");
  const rows = arrivals.filter((a) => a.predictedMs > serverNow() - 60_000);
  tbody.replaceChildren(...rows.map((a) => {
    const tr = document.createElement("tr");
    const route = document.createElement("td");
    route.className = "route";
    const badge = document.createElement("span");
    badge.textContent = a.route;
    if (a.color) badge.style.background = `#${a.color}`;
    badge.style.color = a.text_color ? `#${a.text_color}` : "#fff";
    route.append(badge);
    const headsign = document.createElement("td");
    headsign.className = "headsign";
    headsign.textContent = a.headsign || "";
    const when = document.createElement("td");
    const w = whenText(a.predictedMs);
    when.className = "when" + (w.soon ? " soon" : "");
    when.textContent = w.label;
    const mark = document.createElement("span");
    mark.className = "mark " + (a.realtime ? "live" : "table");
    mark.textContent = a.realtime ? text.live : text.table;
    when.append(mark);
    tr.append(route, headsign, when);
    return tr;
  }));
  const empty = document.getElementById("empty");
  empty.hidden = rows.length > 0;
  empty.textContent = text.none;
}

async function refresh() {
  const status = document.getElementById("status");
  try {
    const response = await fetch(`/api/v1/stops/${encodeURIComponent(stopId)}/arrivals?limit=12`,
                                 { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const data = await response.json();
    offsetMs = Date.parse(data.now) - Date.now();
    arrivals = data.arrivals.map((a) => ({ ...a, predictedMs: Date.parse(a.predicted) }));
    document.getElementById("stop-name").textContent = data.stop_name;
    lastOk = serverNow();
    status.className = "";
    status.textContent = `${text.updated} ${clockText(lastOk)}`;
  } catch (error) {
    status.className = "offline";
    status.textContent = text.offline;
  }
  render();
}

document.getElementById("h-route").textContent = text.route;
document.getElementById("h-headsign").textContent = text.headsign;
document.getElementById("h-when").textContent = text.when;
document.getElementById("legend").textContent = text.legend;
refresh();
setInterval(refresh, refreshMs);
setInterval(render, 1000);
