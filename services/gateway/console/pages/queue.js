// The handlers' lists: the team queue (open cases, overdue first), "my cases" (assigned to me) and the search
// over every case, closed ones too. Filters live in the hash's query, so a list can be bookmarked and the back
// button works; changes by others reload the list live (the tenant's event stream).
import { register, el, go, problemBox } from "../app.js";
import { api, session, tenant, tenantConfiguration, labelOf, streamEvents } from "../api.js";
import { t, formatDate, formatDateTime } from "../i18n.js";

const LISTS = {
  queue: { path: "queue", title: "queue.title", fixed: {} },
  mine: { path: "queue", title: "mine.title", fixed: { assignee: "me" } },
  search: { path: "cases", title: "search.title", fixed: {} },
};
// Filter -> the tenant's vocabulary offering its values (none: free text).
const FILTERS = {
  queue: ["q", "state", "signal_type", "category", "channel", "team", "overdue"],
  mine: ["q", "state", "signal_type", "category", "overdue"],
  search: ["q", "case_number", "status", "signal_type", "category", "channel", "team", "closed_from", "closed_to"],
};
const VOCABULARY = { signal_type: "signal_types", category: "categories", channel: "channels", team: "teams" };
// The case states (the contract's CaseState), labelled by the dictionaries.
export const STATES = ["received", "routed", "investigating", "awaiting-information", "qualified", "drafted",
                       "answered", "closed"];

function renderList(kind) {
  return async (main, _params, { signal, query }) => {
    const tenantId = tenant();
    const spec = LISTS[kind];
    const configuration = await tenantConfiguration(tenantId);
    main.append(el("h1", {}, t(spec.title)));
    main.append(filterForm(kind, query, configuration));
    const live = el("p", { class: "live", role: "status" });
    const results = el("div", { id: "results" });
    main.append(live, results);
    const load = () => loadInto(results, kind, query, configuration, signal);
    await load();
    follow(tenantId, live, load, signal);
  };
}

function filterForm(kind, query, configuration) {
  const form = el("form", { class: "filters", role: "search", "aria-label": t("filters.label") });
  for (const name of FILTERS[kind]) form.append(filterField(name, query.get(name) || "", configuration));
  form.append(el("button", { type: "submit" }, t("filters.apply")),
              el("button", { type: "button", class: "secondary", onclick: () => go(`#/${kind}`) }, t("filters.clear")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = new URLSearchParams();
    for (const [name, value] of new FormData(form)) if (value) values.set(name, value);
    go(`#/${kind}${values.toString() ? "?" + values : ""}`);
  });
  return form;
}

function filterField(name, value, configuration) {
  const id = `filter-${name}`;
  let input;
  if (VOCABULARY[name] || name === "state" || name === "status" || name === "overdue") {
    const options = name === "overdue" ? [["true", t("filters.overdue_only")], ["false", t("filters.not_overdue")]]
      : VOCABULARY[name] ? (configuration[VOCABULARY[name]] || []).map((c) => [c.code, c.label])
      : STATES.map((s) => [s, t(`state.${s}`)]);
    input = el("select", { id, name }, el("option", { value: "" }, t("filters.any")),
               options.map(([code, label]) => el("option", { value: code, selected: code === value }, label)));
  } else {
    const type = name.endsWith("_from") || name.endsWith("_to") ? "date" : name === "q" ? "search" : "text";
    input = el("input", { id, name, type, value });
  }
  return el("div", { class: "field" }, el("label", { for: id }, t(`filters.${name}`)), input);
}

async function loadInto(results, kind, query, configuration, signal, cursor = null) {
  const spec = LISTS[kind];
  const asked = { ...Object.fromEntries(query), ...spec.fixed, cursor, limit: 50 };
  let page;
  try {
    page = (await api(`/v1/tenants/${encodeURIComponent(tenant())}/${spec.path}`, { query: asked, signal })).body;
  } catch (error) {
    if (error.name === "AbortError") return;
    results.replaceChildren(problemBox(error));
    return;
  }
  if (!cursor) results.replaceChildren();
  let table = results.querySelector("tbody");
  if (!table) {
    if (page.total !== undefined) {
      results.append(el("p", {}, t(page.total_is_exact ? "search.total" : "search.total_bound", { n: page.total })));
    }
    if (!page.items.length) {
      results.append(el("p", { class: "notice" }, t("list.empty")));
      return;
    }
    results.append(el("div", { class: "table-wrap" }, el("table", {},
      el("caption", { class: "visually-hidden" }, t(spec.title)),
      el("thead", {}, el("tr", {}, ["case_number", "subject", "status", "signal_type", "category", "team",
                                    "assignee", "due_date", "received_at"].map((c) => el("th", { scope: "col" },
                                                                                          t(`case.${c}`))))),
      el("tbody"))));
    table = results.querySelector("tbody");
  }
  table.append(...page.items.map((item) => row(item, configuration)));
  results.querySelector(".more")?.remove();
  if (page.next_cursor) {
    results.append(el("button", { type: "button", class: "secondary more",
      onclick: () => loadInto(results, kind, query, configuration, signal, page.next_cursor) }, t("list.more")));
  }
}

/** Whether a case is past its due date (open cases only: an answered case's clock has stopped). */
export function isOverdue(item) {
  return Boolean(item.due_date && !item.answered_at && !item.closed_at && item.due_date < today());
}

export function today() {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
}

function row(item, configuration) {
  const overdue = isOverdue(item);
  return el("tr", { "data-case": item.case_id },
    el("td", {}, el("a", { href: `#/cases/${encodeURIComponent(tenant())}/${item.case_id}` }, item.case_number)),
    el("td", {}, item.subject),
    el("td", {}, t(`state.${item.status}`)),
    el("td", {}, labelOf(configuration, "signal_types", item.signal_type)),
    el("td", {}, labelOf(configuration, "categories", item.category)),
    el("td", {}, labelOf(configuration, "teams", item.team)),
    el("td", {}, item.assignee === session().sub ? t("list.me") : item.assignee || ""),
    el("td", { class: overdue ? "overdue" : null },
       formatDate(item.due_date), overdue ? el("span", { class: "badge" }, " ", t("list.overdue")) : null),
    el("td", {}, formatDateTime(item.received_at)));
}

/** Reloads the list when a case of the tenant changes (a debounce: a burst of events is one reload). */
function follow(tenantId, live, load, signal) {
  let timer = null;
  live.textContent = t("live.on");
  streamEvents(tenantId, () => {
    clearTimeout(timer);
    timer = setTimeout(() => { if (!signal.aborted) load(); }, 300);
  }, signal);
}

const handlerRoles = ["handler", "manager", "director"];
register("#/queue", renderList("queue"), { nav: { key: "nav.queue", roles: handlerRoles } });
register("#/mine", renderList("mine"), { nav: { key: "nav.mine", roles: handlerRoles } });
register("#/search", renderList("search"), { nav: { key: "nav.search", roles: [...handlerRoles, "auditor"] } });
