// The case page: details, attachments, the timeline, the due date and clocks, and the allowed actions.
import { register, el } from "../app.js";
import { t } from "../i18n.js";

async function renderCase(main, [tenantId, caseId]) {
  main.append(el("h1", {}, t("case.title", { id: caseId || "" })));
}

register("#/cases", renderCase);
