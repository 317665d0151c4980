// The handlers' pages: the team queue and "my cases".
import { register, el } from "../app.js";
import { t } from "../i18n.js";

async function renderQueue(main) {
  main.append(el("h1", {}, t("queue.title")));
}

register("#/queue", renderQueue, { nav: { key: "nav.queue", roles: ["handler", "manager"] } });
