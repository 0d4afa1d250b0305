// Live updates for the console: campaign counters over server-sent events, and the
// live calls table by polling. Plain JavaScript, no library, nothing from elsewhere.
"use strict";

function formatDuration(seconds) {
  const s = Math.round(seconds || 0);
  const pad = (n) => String(n).padStart(2, "0");
  return s >= 3600 ? `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}` : `${Math.floor(s / 60)}:${pad(s % 60)}`;
}

function showValue(cell, value) {
  if (cell.dataset.format === "duration") { cell.textContent = formatDuration(value); return; }
  if (value !== null && typeof value === "object") {
    cell.textContent = Object.entries(value).map(([k, v]) => `${k} ${v}`).join(", ");
    return;
  }
  cell.textContent = value === null || value === undefined ? "—" : String(value);
  if (cell.dataset.field === "state") { cell.className = `state state-${value}`; }
}

function applyCampaigns(cards) {
  for (const card of cards) {
    document.querySelectorAll("[data-campaign]").forEach((holder) => {
      if (holder.dataset.campaign !== card.name) return;
      holder.querySelectorAll("[data-field]").forEach((cell) => showValue(cell, card[cell.dataset.field]));
    });
    const state = document.getElementById("campaign-state");
    const counters = document.getElementById("counters");
    if (state && counters && counters.dataset.campaign === card.name) {
      // The buttons depend on the state: a change made elsewhere reloads the page.
      if (state.dataset.rendered && state.dataset.rendered !== card.state) { location.reload(); return; }
      state.textContent = card.state;
      state.className = `state state-${card.state}`;
    }
  }
}

function listen() {
  const holder = document.querySelector("[data-stream]");
  if (!holder || !window.EventSource) return;
  const source = new EventSource(holder.dataset.stream);
  source.addEventListener("campaigns", (e) => applyCampaigns(JSON.parse(e.data)));
}

function cell(text) { const td = document.createElement("td"); td.textContent = text || ""; return td; }

async function pollLive() {
  const table = document.getElementById("live");
  if (!table) return;
  try {
    const response = await fetch(table.dataset.poll, { credentials: "same-origin" });
    if (response.ok) {
      const calls = await response.json();
      const body = table.tBodies[0];
      body.replaceChildren(...calls.map((c) => {
        const tr = document.createElement("tr");
        const link = document.createElement("a");
        link.href = `/console/calls/${c.id}`; link.textContent = c.id.slice(0, 8);
        const first = document.createElement("td"); first.appendChild(link);
        tr.append(first, cell(c.campaign), cell(c.phone), cell(c.status), cell(c.step), cell(c.heard), cell(formatDuration(c.elapsed)));
        return tr;
      }));
      document.getElementById("live-count").textContent = calls.length;
      const shown = calls.find((c) => c.lines && c.lines.length);
      document.getElementById("live-transcript").textContent = shown ? shown.lines.join("\n") : "";
    }
  } finally {
    setTimeout(pollLive, 1000);
  }
}

document.addEventListener("DOMContentLoaded", () => { listen(); pollLive(); });
