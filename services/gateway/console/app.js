// The console's shell: a hash router with a registry the page modules add to, the navigation built from it,
// the language switch and the session's header. Caddy only serves files: every page is a hash route.
import { session, clearSession } from "./api.js";
import { t, setLanguage, language, translatePage } from "./i18n.js";

const routes = [];  // {prefix, render, nav}

/**
 * Adds a page: `render(main, params)` is called for a hash starting with `prefix` (the rest split on "/" into
 * params). `nav`, when given, puts a link in the menu: {key (i18n), href, roles (shown to these roles only)}.
 * `anonymous: true` pages need no session (the login).
 */
export function register(prefix, render, { nav = null, anonymous = false } = {}) {
  routes.push({ prefix, render, nav, anonymous });  // in order: the menu's order
}

/** Goes to a route (a hash such as "#/queue"); the same hash renders again. */
export function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

/** The home of a person: the first menu entry for their roles. */
export function home() {
  const entry = routes.find((r) => r.nav && visible(r.nav));
  return entry ? entry.nav.href || entry.prefix : "#/login";
}

function visible(nav) {
  const s = session();
  return !nav.roles || (s && s.roles.some((role) => nav.roles.includes(role)));
}

function match(hash) {
  const longestFirst = [...routes].sort((a, b) => b.prefix.length - a.prefix.length);
  for (const route of longestFirst) {
    if (hash === route.prefix || hash.startsWith(route.prefix + "/")) {
      const rest = hash.slice(route.prefix.length).split("/").filter(Boolean).map(decodeURIComponent);
      return { route, params: rest };
    }
  }
  return null;
}

let rendering = null;  // an AbortController per page: leaving a page ends its streams and requests

async function render() {
  const hash = location.hash || "#/";
  const main = document.getElementById("main");
  if (rendering) rendering.abort();
  rendering = new AbortController();
  renderHeader();
  if (hash === "#/" || hash === "#") {
    location.replace(session() ? home() : "#/login");
    return;
  }
  const found = match(hash.split("?")[0]);
  if (!found) {
    main.replaceChildren(el("h1", {}, t("app.not_found")));
    return;
  }
  if (!found.route.anonymous && !session()) {
    sessionStorage.setItem("console.after-login", hash);
    location.replace("#/login");
    return;
  }
  // Each render has a container of its own: a page left while it still loads goes on filling a container that
  // is no longer in the document, never the next page's.
  const signal = rendering.signal;
  const container = el("div", { class: "page" });
  main.replaceChildren(container);
  main.setAttribute("aria-busy", "true");
  try {
    await found.route.render(container, found.params, { signal, query: queryOf(hash) });
  } catch (error) {
    if (error.name !== "AbortError") {
      console.error(error);
      container.append(problemBox(error));
    }
  } finally {
    if (!signal.aborted) main.removeAttribute("aria-busy");
  }
  if (signal.aborted) return;
  translatePage(container);
  // The new page's heading gets the focus, so a keyboard and a screen reader start at the top of it.
  const heading = container.querySelector("h1");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: false });
  }
  document.title = `${heading ? heading.textContent + " · " : ""}${t("app.title")}`;
}

function queryOf(hash) {
  const at = hash.indexOf("?");
  return new URLSearchParams(at < 0 ? "" : hash.slice(at + 1));
}

function renderHeader() {
  const s = session();
  const list = document.querySelector("#nav ul");
  list.replaceChildren(...routes.filter((r) => r.nav && s && visible(r.nav)).map((r) => {
    const href = r.nav.href || r.prefix;
    const link = el("a", { href }, t(r.nav.key));
    if ((location.hash || "").split("?")[0].startsWith(href.split("?")[0])) link.setAttribute("aria-current", "page");
    return el("li", {}, link);
  }));
  document.getElementById("who").textContent = s
    ? t("app.logged_in_as", { sub: s.sub, roles: s.roles.map((r) => t(`role.${r}`)).join(", "), tenant: s.tenants.join(", ") })
    : "";
  document.getElementById("logout").hidden = !s;
}

/** A small element builder: el("a", {href: "#/x", class: "c"}, "text", child, ...). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** A problem document (RFC 9457) in its own words: title, detail, and each field's error. */
export function problemBox(problem) {
  const box = el("div", { class: "problem", role: "alert" });
  box.append(el("p", { class: "problem-title" }, problem.title || problem.message || t("app.error")));
  if (problem.detail) box.append(el("p", {}, problem.detail));
  const errors = problem.errors || [];
  if (errors.length) {
    box.append(el("ul", {}, errors.map((e) => el("li", {},
      [e.pointer || e.field || (e.loc || []).join("."), e.detail || e.msg || e.message].filter(Boolean).join(": ")))));
  }
  return box;
}

export function start() {
  const select = document.getElementById("language");
  select.value = language();
  select.addEventListener("change", async () => {
    await setLanguage(select.value);
    render();
  });
  document.getElementById("logout").addEventListener("click", async () => {
    await clearSession();
    go("#/login");
  });
  window.addEventListener("hashchange", render);
  setLanguage(language()).then(completeLogin).then(render);
}

/** Back from the OpenID Connect provider: the login completed before the first page (see oidc.js). */
async function completeLogin() {
  const query = new URLSearchParams(location.search);
  if (!query.has("state")) return;
  try {
    const oidc = await import("./oidc.js");
    if (await oidc.completeLogin()) {
      const after = sessionStorage.getItem("console.after-login");
      sessionStorage.removeItem("console.after-login");
      history.replaceState(null, "", after || home());  // no hashchange: the first render follows
    }
  } catch (error) {
    console.error(error);
    history.replaceState(null, "", `${location.pathname}#/login`);
    loginProblem = error;
  }
}

let loginProblem = null;
/** Why the last login at the provider failed (the login page shows it), or null. */
export function loginFailure() {
  return loginProblem;
}

document.addEventListener("DOMContentLoaded", start);
