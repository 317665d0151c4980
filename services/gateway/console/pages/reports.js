// The manager's yearly report: each table the tenant publishes, as the seed lays it out (its rows and totals),
// with a chart beside it (the vendored Chart.js), for a chosen year; downloads per table as XLSX and as CSV for
// Excel, and a print view (print.css) for a PDF from the browser. The table is the chart's text alternative.
import { register, el, go } from "../app.js";
import { api, tenant as ownTenant } from "../api.js";
import { t, language, formatNumber } from "../i18n.js";
import { download } from "../downloads.js";
import { loadChart, chartFor } from "../charts.js";

// The tables every yearly report shows (the charts), after the ones a tenant publishes under its own
// captions: a report the tenant already publishes is not shown twice.
const STANDARD = ["channels", "kinds", "qualifications", "timeliness", "monthly", "within-days"];

function lastYear() {
  return new Date().getFullYear() - 1;
}

async function renderReports(main, params, { signal }) {
  const [tenantId, yearText] = params;
  if (!tenantId) {
    go(`#/reports/${encodeURIComponent(ownTenant())}/${lastYear()}`);
    return;
  }
  const year = Number(yearText) || lastYear();
  const headers = { "Accept-Language": language() };
  const base = `/v1/tenants/${encodeURIComponent(tenantId)}`;
  const [configuration] = await Promise.all([api(base, { signal, headers }), loadChart()]);
  signal.throwIfAborted();  // left meanwhile (a body cut short by the abort reads as none)
  const config = configuration.body;
  const published = config.tables || [];
  const shown = [...published.map((p) => ({ id: p.id, title: p.title, report: p.report })),
    ...STANDARD.filter((r) => !published.some((p) => p.report === r))
      .map((r) => ({ id: r, title: t(`reports.table.${r}`), report: r }))];
  const tables = await Promise.all(shown.map((table) =>
    api(`${base}/reports/${encodeURIComponent(table.id)}`, { query: { year }, signal, headers })
      .then((answer) => ({ ...table, body: answer.body }))));
  signal.throwIfAborted();  // another page took the screen meanwhile: this one adds nothing to it
  main.append(el("h1", {}, t("reports.title", { name: config.name, year })));
  main.append(yearForm(tenantId, year));

  if (tables.length) main.append(el("p", { class: "counted-by" }, tables[0].body.counted_by));
  const columns = columnWords(config);
  for (const table of tables) main.append(tableSection(table, columns, { base, year }));
}

function yearForm(tenantId, year) {
  const input = el("input", { id: "report-year", name: "year", type: "number", min: 2000, max: 2100, required: true,
                              value: year, inputmode: "numeric" });
  const form = el("form", { class: "filters report-year", "aria-label": t("reports.choose_year") },
    el("label", { for: "report-year" }, t("reports.year")), input,
    el("button", { type: "submit" }, t("reports.show")),
    el("button", { type: "button", class: "print", onclick: () => window.print() }, t("reports.print")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go(`#/reports/${encodeURIComponent(tenantId)}/${input.value}`);
  });
  return form;
}

/** Words for the columns: the tenant's qualification labels, the console's words, month names, else the code. */
function columnWords(config) {
  const words = new Map((config.qualifications || []).map((q) => [q.code, q.label]));
  const month = new Intl.DateTimeFormat(language() === "nl" ? "nl-BE" : "en-GB", { month: "short" });
  for (let m = 1; m <= 12; m++) words.set(`m${String(m).padStart(2, "0")}`, month.format(new Date(2000, m - 1, 1)));
  return (column) => {
    const key = `reports.col.${column}`;
    const word = t(key);
    return word !== key ? word : words.get(column) ?? column;
  };
}

function slug(text) {
  return String(text).replace(/[^a-z0-9-]/gi, "-");
}

function tableSection({ id, title, report, body }, columnWord, { base, year }) {
  const tableId = `table-${slug(id)}`;
  const headingId = `heading-${slug(id)}`;
  const shown = body.columns.filter((c) => !(c === body.columns[0] && body.columns.includes("label")));
  const table = el("table", { id: tableId, class: "report" },
    el("caption", { class: "visually-hidden" }, title),  // the section's heading shows it
    el("thead", {}, el("tr", {}, shown.map((c) => el("th", { scope: "col", class: numeric(body, c) ? "number" : null },
                                                       columnWord(c))))),
    el("tbody", {}, body.rows.map((row) => el("tr", { class: isTotal(row, body) ? "total" : null },
      shown.map((c, i) => i === 0 ? el("th", { scope: "row" }, cellText(row, c, report))
        : el("td", { class: numeric(body, c) ? "number" : null }, cellText(row, c, report)))))));
  const canvas = el("canvas", { role: "img", "aria-label": t("reports.chart_label", { title }),
                                "aria-details": tableId });
  const figure = el("figure", { class: "chart" }, el("div", { class: "chart-box" }, canvas),
    el("figcaption", {}, t("reports.chart_caption")));
  const section = el("section", { class: "report-table", "aria-labelledby": headingId },
    el("h2", { id: headingId }, title),
    // A table of many columns takes the width, its chart under it.
    el("div", { class: shown.length > 5 ? "report-body wide" : "report-body" }, el("div", { class: "table-wrap", tabindex: 0, role: "region",
                                                    "aria-labelledby": headingId }, table), figure),
    downloads(`${base}/reports/${encodeURIComponent(id)}`, year, title),
    body.notes.length ? el("ul", { class: "notes" }, body.notes.map((n) => el("li", {}, n))) : null);
  // Drawn once the section is in the page (Chart.js measures its box).
  queueMicrotask(() => chartFor(canvas, report, body, columnWord, (row, c) => cellText(row, c, report)));
  return section;
}

function downloads(path, year, title) {
  const status = el("p", { class: "download-status", role: "status" });
  const button = (format, word) => el("button", {
    type: "button", "aria-label": t("reports.download_as", { title, format: word }),
    onclick: async () => {
      status.textContent = "";
      try {
        await download(path, { query: { year, format }, headers: { "Accept-Language": language() } });
        status.textContent = t("reports.downloaded", { format: word });
      } catch (problem) {
        status.textContent = [problem.title, problem.detail].filter(Boolean).join(": ");
      }
    } }, word);
  return el("div", { class: "downloads no-print" }, button("xlsx", "XLSX"), button("csv", "CSV"), status);
}

function isTotal(row, body) {
  return row[body.columns[0]] === "total";
}

function numeric(body, column) {
  return body.rows.some((row) => typeof row[column] === "number") && column !== body.columns[0];
}

function cellText(row, column, report) {
  const value = row[column];
  if (column === "month" && typeof value === "number") {
    return new Date(2000, value - 1, 1).toLocaleDateString(language() === "nl" ? "nl-BE" : "en-GB", { month: "long" });
  }
  if (column === "within_days") return t("reports.within_days", { days: value });
  if (value === null || value === undefined) return "–";
  if (value === "total") return t("reports.total");
  return typeof value === "number" ? formatNumber(value) : String(value);
}

register("#/reports", renderReports, { nav: { key: "nav.reports", roles: ["manager", "director"] } });
