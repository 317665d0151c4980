// The case page: its details, attachments, due date and clocks, the timeline from its history, and what this
// person may do next (`allowed_actions`) as buttons and forms built from the contract, sent with If-Match.
// A 409 or 412 is shown in the problem's words and the case read again; changes by others appear live.
import { register, el, problemBox } from "../app.js";
import { api, command, isConflict, tenantConfiguration, labelOf, streamEvents, session } from "../api.js";
import { t, formatDate, formatDateTime } from "../i18n.js";
import { bodySchema, fieldsFor, bodyOf } from "../forms.js";
import { today } from "./queue.js";

async function renderCase(main, [tenantId, caseId], { signal }) {
  const page = { tenantId, caseId, signal, etag: null, version: 0, configuration: null };
  page.configuration = await tenantConfiguration(tenantId);
  page.heading = el("h1", {}, t("case.loading"));
  page.messages = el("div", { class: "messages", "aria-live": "polite" });
  page.body = el("div", { id: "case" });
  main.append(page.heading, page.messages, page.body);
  await refresh(page);
  streamEvents(tenantId, (message) => changedElsewhere(page, message.data), signal, { case_id: caseId });
}

function base(page) {
  return `/v1/tenants/${encodeURIComponent(page.tenantId)}/complaints/${encodeURIComponent(page.caseId)}`;
}

async function refresh(page) {
  const [read, history] = await Promise.all([
    api(base(page), { signal: page.signal }),
    api(`${base(page)}/history`, { signal: page.signal }).then((r) => r.body.events, () => null),
  ]);
  const view = read.body;
  page.etag = read.etag;
  page.version = view.version;
  page.heading.textContent = t("case.heading", { number: view.case_number, subject: view.subject });
  page.body.replaceChildren(
    el("div", { class: "columns" }, details(view, page.configuration), clocks(view)),
    await actions(page, view),
    texts(view),
    attachments(history),
    timeline(history));
}

function details(view, configuration) {
  const rows = [
    ["status", view.status_label],
    ["signal_type", labelOf(configuration, "signal_types", view.signal_type)],
    ["category", labelOf(configuration, "categories", view.category)],
    ["channel", labelOf(configuration, "channels", view.channel)],
    ["team", labelOf(configuration, "teams", view.team)],
    ["assignee", view.assignee === session().sub ? t("list.me") : view.assignee],
    ["district", labelOf(configuration, "districts", view.district)],
    ["entity", labelOf(configuration, "entities", view.entity)],
    ["complainant", [view.complainant.name, view.complainant.email, view.complainant.phone].filter(Boolean).join(", ")
                    || (view.complainant.erased ? t("case.erased") : t("case.anonymous"))],
    ["qualification", labelOf(configuration, "qualifications", view.qualification)],
    ["approvals", approvalsText(view, configuration)],
    ["version", String(view.version)],
  ];
  return el("section", { "aria-labelledby": "case-details" }, el("h2", { id: "case-details" }, t("case.details")),
    el("dl", { class: "details" }, rows.filter(([, value]) => value).map(([key, value]) =>
      [el("dt", {}, t(`case.${key}`)), el("dd", { "data-field": key }, value)])));
}

function approvalsText(view, configuration) {
  if (!view.draft && !view.approvals.length) return null;
  const given = view.approvals.map((a) => `${labelOf(configuration, "approvals", a.step)} (${a.by})`);
  const next = view.next_approval_step ? t("case.next_step", { step: labelOf(configuration, "approvals",
                                                                           view.next_approval_step) }) : null;
  return [...given, next].filter(Boolean).join("; ");
}

/** The due date and the clocks: days left (or over), the legal ceiling, a pause, an extension. */
function clocks(view) {
  const open = !view.answered_at && !view.closed_at;
  const rows = [["received_at", formatDateTime(view.received_at)]];
  if (view.due_date) {
    const left = daysBetween(today(), view.due_date);
    const state = !open ? null : left < 0 ? el("span", { class: "overdue" }, t("clock.overdue", { n: -left }))
      : el("span", { class: left <= 3 ? "due-soon" : null }, t("clock.left", { n: left }));
    rows.push(["due_date", [formatDate(view.due_date), state ? " — " : "", state]]);
  }
  if (view.ceiling) rows.push(["ceiling", formatDate(view.ceiling)]);
  if (view.paused_since) rows.push(["paused_since", formatDate(view.paused_since)]);
  if (view.paused_days) rows.push(["paused_days", String(view.paused_days)]);
  if (view.extended) rows.push(["extended", t("yes")]);
  if (view.answered_at) rows.push(["answered_at", formatDateTime(view.answered_at)]);
  if (view.closed_at) rows.push(["closed_at", formatDateTime(view.closed_at)]);
  return el("section", { "aria-labelledby": "case-clocks" }, el("h2", { id: "case-clocks" }, t("case.clocks")),
    el("dl", { class: "details" }, rows.map(([key, value]) => [el("dt", {}, t(`case.${key}`)),
                                                                el("dd", { "data-field": key }, value)])));
}

function daysBetween(from, to) {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

function texts(view) {
  const section = el("section", { "aria-labelledby": "case-text" }, el("h2", { id: "case-text" }, t("case.text")),
                     el("p", { class: "case-text" }, view.text));
  if (view.notes.length) {
    section.append(el("h3", {}, t("case.notes")),
                   el("ul", {}, view.notes.map((n) => el("li", {}, n.text, " — ", n.by, " ", formatDateTime(n.at)))));
  }
  if (view.draft) section.append(el("h3", {}, t("case.draft")), el("p", { class: "draft" }, view.draft.text));
  if (view.answer) section.append(el("h3", {}, t("case.answer")), el("p", { class: "answer" }, view.answer));
  return section;
}

/** The attachments as the complaint came in (the first event of its history holds them). */
function attachments(history) {
  const list = (history || []).flatMap((e) => (e.data && e.data.attachments) || []);
  return el("section", { "aria-labelledby": "case-attachments" },
    el("h2", { id: "case-attachments" }, t("case.attachments")),
    list.length ? el("ul", {}, list.map((a) => el("li", {}, el("a", { href: a.url, rel: "noopener noreferrer" },
                                                               a.url.split("/").pop() || a.url),
                                                  ` (${a.media_type})`)))
      : el("p", {}, t("case.no_attachments")));
}

function timeline(history) {
  const section = el("section", { "aria-labelledby": "case-timeline" },
                     el("h2", { id: "case-timeline" }, t("case.timeline")));
  if (!history) return section;
  section.append(el("ol", { class: "timeline", reversed: true }, [...history].reverse().map((e) => el("li", {},
    el("strong", {}, e.summary || e.type), el("br"),
    el("span", {}, [formatDateTime(e.occurred_at), e.actor, `v${e.version}`].filter(Boolean).join(" · "))))));
  return section;
}

async function actions(page, view) {
  const section = el("section", { "aria-labelledby": "case-actions", class: "no-print" },
                     el("h2", { id: "case-actions" }, t("case.actions")));
  if (!view.allowed_actions.length) {
    section.append(el("p", {}, t("case.no_actions")));
    return section;
  }
  const buttons = el("div", { class: "actions" });
  const forms = el("div");
  section.append(buttons, forms);
  for (const action of view.allowed_actions) {
    const schema = await bodySchema(action.operation_id);
    if (!schema || !Object.keys(schema.properties || {}).length) {
      buttons.append(el("button", { type: "button", "data-action": action.name,
                                    onclick: () => send(page, action, undefined) }, action.label));
      continue;
    }
    const id = `action-${action.name}`;
    const form = el("form", { id, class: "action-form", hidden: true, "aria-label": action.label },
      el("fieldset", {}, el("legend", {}, action.label), fieldsFor(schema, page.configuration, id),
         el("button", { type: "submit" }, t("action.send")),
         " ", el("button", { type: "button", class: "secondary", onclick: () => toggle(false) }, t("action.cancel"))));
    const opener = el("button", { type: "button", class: "secondary", "data-action": action.name,
                                  "aria-expanded": "false", "aria-controls": id, onclick: () => toggle(form.hidden) },
                      action.label, "…");
    function toggle(open) {
      form.hidden = !open;
      opener.setAttribute("aria-expanded", String(open));
      (open ? form.querySelector("[name]") : opener).focus();
    }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      send(page, action, bodyOf(form));
    });
    buttons.append(opener);
    forms.append(form);
  }
  return section;
}

async function send(page, action, body) {
  page.pending = true;  // our own change comes back on the stream too: not "changed by someone else"
  page.messages.replaceChildren();
  page.body.querySelectorAll("button").forEach((b) => { b.disabled = true; });
  try {
    await command(action.href, page.etag, body, { method: action.method, signal: page.signal });
    page.messages.append(el("p", { class: "notice", role: "status" }, t("action.done", { action: action.label })));
  } catch (error) {
    if (error.name === "AbortError") return;
    page.messages.append(problemBox(error));
    if (!isConflict(error)) {
      page.body.querySelectorAll("button").forEach((b) => { b.disabled = false; });
      page.pending = false;
      return;
    }
  }
  try {
    await refresh(page);  // done, or someone else was first: the case as it is now
  } finally {
    page.pending = false;
  }
}

/** Another person (or process) changed this case: read it again, and say so. */
async function changedElsewhere(page, change) {
  if (!change || page.pending || change.version <= page.version) return;
  const editing = [...page.body.querySelectorAll("form:not([hidden])")].length > 0;
  const note = el("p", { class: "notice", role: "status" }, t("live.changed", { summary: change.summary || change.type }));
  page.messages.replaceChildren(note);
  // An open form keeps its typing: the person refreshes when ready; the next command will meet a 412 otherwise.
  if (editing) {
    note.append(" ", el("button", { type: "button", class: "secondary", onclick: () => refresh(page) }, t("live.refresh")));
  } else {
    await refresh(page);
  }
}

register("#/cases", renderCase);
