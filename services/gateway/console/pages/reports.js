// The manager's yearly report, tables with charts (helper console-reports fills this page in).
import { register, el } from "../app.js";
import { t } from "../i18n.js";

async function renderReports(main) {
  main.append(el("h1", {}, t("nav.reports")));
}

register("#/reports", renderReports, { nav: { key: "nav.reports", roles: ["manager", "director"] } });
