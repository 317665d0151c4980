// The login: in development, a picker of the demo people (/console/dev-people.json, which the gateway answers
// only there); elsewhere the organisation's OpenID Connect provider (oidc.js, authorization code with PKCE).
import { register, el, go, home, problemBox, loginFailure } from "../app.js";
import { startSession } from "../api.js";
import { t } from "../i18n.js";

async function devPeople() {
  const response = await fetch("/console/dev-people.json", { cache: "no-store" });
  return response.ok ? (await response.json()).people : null;
}

async function renderLogin(main) {
  main.append(el("h1", {}, t("login.title")));
  const failed = loginFailure();
  if (failed) main.append(problemBox({ title: t("login.oidc_failed"), detail: failed.detail || failed.message }));
  const people = await devPeople();
  const oidcBox = el("section", { "aria-labelledby": "login-oidc" }, el("h2", { id: "login-oidc" }, t("login.oidc")));
  main.append(oidcBox);
  try {
    const { renderOidcLogin } = await import("../oidc.js");
    await renderOidcLogin(oidcBox);
  } catch (error) {
    oidcBox.append(problemBox(error));
  }
  if (people) main.append(picker(people));
}

function picker(people) {
  const section = el("section", { "aria-labelledby": "login-dev", class: "dev-login" },
    el("h2", { id: "login-dev" }, t("login.dev")), el("p", {}, t("login.dev_hint")));
  for (const [tenantId, persons] of Object.entries(people)) {
    const list = el("ul", { class: "people" });
    for (const person of persons) {
      const label = [person.sub, person.roles.map((r) => t(`role.${r}`)).join(", "), person.team].filter(Boolean).join(" · ");
      list.append(el("li", {}, el("button", { type: "button", class: "person", "data-sub": person.sub,
        onclick: () => loginAs(person.token, section) }, label)));
    }
    section.append(el("details", { class: "tenant-people" }, el("summary", {}, tenantId), list));
  }
  return section;
}

async function loginAs(token, section) {
  section.querySelectorAll(".problem").forEach((node) => node.remove());
  try {
    await startSession(token, "dev");
  } catch (error) {
    section.prepend(problemBox(error));
    return;
  }
  const after = sessionStorage.getItem("console.after-login");
  sessionStorage.removeItem("console.after-login");
  go(after || home());
}

register("#/login", renderLogin, { anonymous: true });
