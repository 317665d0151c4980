// The auditor's view of a case's record: the history (who, when it happened, when it was recorded, the rule
// version that decided it), the state as of a chosen moment (`?as_of=`), the verification of the case's hash
// chain (`…/verify`) and the export an outside party can check (`…/export`). Auditors read and change nothing.
import { register, el, go, problemBox } from "../app.js";
import { api, tenant as ownTenant } from "../api.js";
import { t, language, formatDateTime, formatDate } from "../i18n.js";
import { download } from "../downloads.js";

function caseBase(tenantId, caseId) {
  return `/v1/tenants/${encodeURIComponent(tenantId)}/complaints/${encodeURIComponent(caseId)}`;
}

async function renderAudit(main, params, context) {
  const [tenantId, caseId] = params;
  if (tenantId && caseId) return renderRecord(main, tenantId, caseId, context);
  return renderFinder(main, tenantId || ownTenant(), context);
}

/** Which case: by its number, or one of the latest received. */
async function renderFinder(main, tenantId, { signal, query }) {
  const latest = await api(`/v1/tenants/${encodeURIComponent(tenantId)}/cases`,
                           { query: { sort: "received_at", order: "desc", limit: 20 }, signal });
  signal.throwIfAborted();
  main.append(el("h1", {}, t("audit.title")));
  const input = el("input", { id: "audit-case-number", name: "case_number", required: true,
                              value: query.get("case_number") || "", autocomplete: "off" });
  const form = el("form", { class: "filters", role: "search", "aria-label": t("audit.find") },
    el("div", { class: "field" }, el("label", { for: "audit-case-number" }, t("audit.case_number")), input),
    el("button", { type: "submit" }, t("audit.open")));
  main.append(form);
  const result = el("div", { "aria-live": "polite" });
  main.append(result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    result.replaceChildren();
    try {
      const found = await api(`/v1/tenants/${encodeURIComponent(tenantId)}/cases`,
                              { query: { case_number: input.value.trim(), limit: 1 } });
      const item = found.body.items[0];
      if (item) go(`#/audit/${encodeURIComponent(tenantId)}/${item.case_id}`);
      else result.append(el("p", { class: "notice" }, t("audit.not_found", { number: input.value.trim() })));
    } catch (problem) {
      result.append(problemBox(problem));
    }
  });
  main.append(el("h2", { id: "audit-latest" }, t("audit.latest")));
  main.append(el("ul", { class: "case-list", "aria-labelledby": "audit-latest" },
    latest.body.items.map((c) => el("li", {},
      el("a", { href: `#/audit/${encodeURIComponent(tenantId)}/${c.case_id}` }, c.case_number),
      ` ${c.subject} (${formatDate(c.received_at)})`))));
}

async function renderRecord(main, tenantId, caseId, { signal, query }) {
  const base = caseBase(tenantId, caseId);
  const headers = { "Accept-Language": language() };
  const [current, history, verification] = await Promise.all([
    api(base, { signal, headers }), api(`${base}/history`, { signal, headers }),
    api(`${base}/verify`, { signal, headers })]);
  signal.throwIfAborted();  // another page took the screen meanwhile: this one adds nothing to it
  const number = current.body.case_number;
  main.append(el("h1", {}, t("audit.case_title", { number })));
  main.append(el("p", {}, el("a", { href: `#/audit/${encodeURIComponent(tenantId)}` }, t("audit.back"))));
  main.append(verificationBox(verification.body));
  main.append(exportBlock(base, number));
  main.append(asOfBlock(base, tenantId, caseId, query.get("as_of"), history.body.events));
  main.append(historyTable(history.body.events));
}

function verificationBox(result) {
  const words = result.valid ? t("audit.chain_valid", { events: result.events })
    : t("audit.chain_broken", { problem: result.first_broken?.problem || "",
                                version: result.first_broken?.version ?? "?" });
  return el("section", { "aria-labelledby": "audit-chain" },
    el("h2", { id: "audit-chain" }, t("audit.chain")),
    el("p", { class: result.valid ? "verdict valid" : "verdict broken", role: "status", "data-valid": String(result.valid) },
      el("span", { class: "badge" }, result.valid ? t("audit.valid") : t("audit.broken")), " ", words));
}

function exportBlock(base, number) {
  const status = el("p", { role: "status" });
  return el("section", { "aria-labelledby": "audit-export", class: "no-print" },
    el("h2", { id: "audit-export" }, t("audit.export")),
    el("p", {}, t("audit.export_hint")),
    el("button", { type: "button", onclick: async () => {
      status.textContent = "";
      try {
        await download(`${base}/export`, { filename: `${number}-export.json` });
        status.textContent = t("audit.exported");
      } catch (problem) {
        status.replaceChildren(problemBox(problem));
      }
    } }, t("audit.export_button")), status);
}

/** The state as the store knew it at a moment the auditor picks (local time), rebuilt from the events. */
function asOfBlock(base, tenantId, caseId, asOf, events) {
  // By default the moment the last event was recorded, to the next whole second (the field has no finer step).
  const last = Math.ceil(new Date(events.at(-1)?.recorded_at || Date.now()).getTime() / 1000) * 1000;
  const input = el("input", { id: "audit-as-of", name: "as_of", type: "datetime-local", step: 1, required: true,
                              value: localInput(asOf ? new Date(asOf) : new Date(last)) });
  const out = el("div", { "aria-live": "polite" });
  const show = async () => {
    out.replaceChildren();
    const moment = new Date(input.value);
    if (isNaN(moment)) return;
    try {
      const state = await api(base, { query: { as_of: moment.toISOString() }, headers: { "Accept-Language": language() } });
      out.append(stateList(state.body, moment));
    } catch (problem) {
      out.append(problemBox(problem));
    }
  };
  const form = el("form", { class: "filters", "aria-labelledby": "audit-as-of-heading" },
    el("div", { class: "field" }, el("label", { for: "audit-as-of" }, t("audit.as_of")), input),
    el("button", { type: "submit" }, t("audit.show_state")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    show();
  });
  if (asOf) queueMicrotask(show);
  return el("section", { "aria-labelledby": "audit-as-of-heading" },
    el("h2", { id: "audit-as-of-heading" }, t("audit.state_as_of")), form, out);
}

function localInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:`
    + `${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

const STATE_FIELDS = ["status_label", "version", "team", "assignee", "signal_type", "category", "qualification",
                      "due_date", "answered_at", "closed_at"];

function stateList(state, moment) {
  return el("div", { class: "state-as-of" },
    el("p", {}, t("audit.state_at", { moment: formatDateTime(moment.toISOString()) })),
    el("dl", { class: "details" }, STATE_FIELDS.filter((f) => f in state).flatMap((f) => [
      el("dt", {}, t(`audit.field.${f}`)), el("dd", { "data-field": f }, shown(f, state[f]))])));
}

function shown(field, value) {
  if (value === null || value === undefined || value === "") return "–";
  if (field.endsWith("_at")) return formatDateTime(value);
  if (field === "due_date") return formatDate(value);
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function historyTable(events) {
  return el("section", { "aria-labelledby": "audit-history" },
    el("h2", { id: "audit-history" }, t("audit.history")),
    el("div", { class: "table-wrap", tabindex: 0, role: "region", "aria-labelledby": "audit-history" },
      el("table", { class: "history" },
        el("thead", {}, el("tr", {}, ["version", "event", "who", "occurred", "recorded", "rules"].map((c) =>
          el("th", { scope: "col" }, t(`audit.col.${c}`))))),
        el("tbody", {}, events.map((e) => el("tr", {},
          el("td", { class: "number" }, String(e.version)),
          el("th", { scope: "row" }, el("span", { class: "event-type" }, e.type),
            el("span", { class: "summary" }, e.summary)),
          el("td", {}, e.actor || "–"),
          el("td", {}, el("time", { datetime: e.occurred_at }, formatDateTime(e.occurred_at))),
          el("td", {}, el("time", { datetime: e.recorded_at }, formatDateTime(e.recorded_at))),
          el("td", {}, e.config_version || "–")))))));
}

register("#/audit", renderAudit, { nav: { key: "nav.audit", roles: ["auditor"] } });
