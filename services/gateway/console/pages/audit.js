// The auditor's view of a case's record (helper console-reports fills this page in).
import { register, el } from "../app.js";
import { t } from "../i18n.js";

async function renderAudit(main) {
  main.append(el("h1", {}, t("nav.audit")));
}

register("#/audit", renderAudit, { nav: { key: "nav.audit", roles: ["auditor"] } });
