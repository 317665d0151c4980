// The public API through the gateway (same origin), with the person's token in `Authorization: Bearer`.
// Errors are problem documents (RFC 9457); commands go with If-Match (the case's ETag).

import { language } from "./i18n.js";

const SESSION = "console.session";

/** The person logged in: {token, sub, tenants, roles, team, via ("dev" | "oidc")}, or null. */
export function session() {
  const raw = sessionStorage.getItem(SESSION);
  return raw ? JSON.parse(raw) : null;
}

/** Keeps a token: asks the API who it is (/v1/me), so the console shows what the platform sees. */
export async function startSession(token, via) {
  const me = await api("/v1/me", { token });
  const s = { token, via, sub: me.body.subject, tenants: me.body.tenants, roles: me.body.roles, team: me.body.team };
  sessionStorage.setItem(SESSION, JSON.stringify(s));
  return s;
}

const logoutHooks = [];
/** Something to do on logout besides forgetting the token (the OIDC client's own storage). */
export function onLogout(hook) {
  logoutHooks.push(hook);
}

export async function clearSession() {
  sessionStorage.removeItem(SESSION);
  for (const hook of logoutHooks) await hook();
}

/** The first tenant of the session: the console works on one tenant at a time. */
export function tenant() {
  const s = session();
  return s && s.tenants[0];
}

/** A problem document thrown by `api` for any answer that is not 2xx. */
export class Problem extends Error {
  constructor(status, document) {
    super(document.title || `HTTP ${status}`);
    this.name = "Problem";
    this.status = status;
    Object.assign(this, document);
    this.status = status;
  }
}

/**
 * Calls the API: `api(path, {method, body, etag, query, token, signal, accept})` ->
 * {status, body, etag, headers}. A body is sent as JSON; `etag` goes as If-Match. Non-2xx throws a Problem.
 * A 401 forgets the session (the token expired) and goes to the login.
 */
export async function api(path, { method = "GET", body, etag, query, token, signal, accept, headers = {} } = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === "") continue;
    for (const one of Array.isArray(value) ? value : [value]) url.searchParams.append(name, one);
  }
  const bearer = token || (session() && session().token);
  // Labels (states, actions, codes) come in the console's language.
  const sent = { Accept: accept || "application/json, application/problem+json", "Accept-Language": language(),
                 ...headers };
  if (bearer) sent.Authorization = `Bearer ${bearer}`;
  if (etag) sent["If-Match"] = etag;
  if (body !== undefined) sent["Content-Type"] = "application/json";
  // Never the browser's HTTP cache: a case's view differs per person (its allowed actions), and a revalidation
  // answered 304 (the same version) would show one person's cached view to the next one in this tab.
  const response = await fetch(url, { method, headers: sent, signal, cache: "no-store",
                                      body: body === undefined ? undefined : JSON.stringify(body) });
  const type = response.headers.get("Content-Type") || "";
  const parsed = type.includes("json") ? await response.json().catch(() => null)
    : response.status === 204 ? null : await response.text();
  if (!response.ok) {
    if (response.status === 401 && !token) {
      sessionStorage.removeItem(SESSION);
    }
    throw new Problem(response.status, parsed && typeof parsed === "object" ? parsed
      : { title: response.statusText || `HTTP ${response.status}`, detail: typeof parsed === "string" ? parsed : "" });
  }
  return { status: response.status, body: parsed, etag: response.headers.get("ETag"), headers: response.headers };
}

/** A command on a case: POST (or `method`) with If-Match the case's ETag. */
export function command(path, etag, body, { method = "POST", signal } = {}) {
  return api(path, { method, etag, body, signal });
}

/** Whether a problem means "someone else changed the case first" (show the words, then refresh). */
export function isConflict(problem) {
  return problem instanceof Problem && (problem.status === 409 || problem.status === 412);
}

/**
 * The tenant's live stream of case changes (server-sent events), read with fetch: EventSource cannot send a
 * bearer header. Calls onEvent({event, id, data}) for each; reconnects with Last-Event-ID until `signal` aborts.
 */
export async function streamEvents(tenantId, onEvent, signal, query = {}) {
  let lastId = null;
  const url = new URL(`/v1/tenants/${encodeURIComponent(tenantId)}/events`, location.origin);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  while (!signal.aborted) {
    try {
      const headers = { Accept: "text/event-stream", Authorization: `Bearer ${session().token}` };
      if (lastId) headers["Last-Event-ID"] = lastId;
      const response = await fetch(url, { headers, signal });
      if (!response.ok) return;  // refused (no right to it): nothing live, the page still works
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, "\n");
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const message = parseEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (message.id) lastId = message.id;
          if (message.data !== undefined) onEvent(message);
        }
      }
    } catch (error) {
      if (signal.aborted) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function parseEvent(text) {
  const message = { event: "message" };
  const data = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const at = line.indexOf(":");
    const name = at < 0 ? line : line.slice(0, at);
    const value = at < 0 ? "" : line.slice(at + 1).replace(/^ /, "");
    if (name === "data") data.push(value);
    else if (name === "event" || name === "id") message[name] = value;
  }
  if (data.length) {
    const joined = data.join("\n");
    try { message.data = JSON.parse(joined); } catch { message.data = joined; }
  }
  return message;
}

let contract = null;
/** The merged contract (/openapi.json), read once: the action forms are built from its operations. */
export async function openapi() {
  if (!contract) contract = (await api("/openapi.json")).body;
  return contract;
}

const configurations = new Map();
/** A tenant's public configuration (codes and labels in the console's language), read once per language. */
export async function tenantConfiguration(tenantId) {
  const key = `${tenantId}:${language()}`;
  if (!configurations.has(key)) {
    configurations.set(key, api(`/v1/tenants/${encodeURIComponent(tenantId)}`).then((r) => r.body)
      .catch((error) => { configurations.delete(key); throw error; }));
  }
  return configurations.get(key);
}

/** The label of a code in a tenant's vocabulary ("categories", "teams"...), else the code itself. */
export function labelOf(configuration, vocabulary, code) {
  if (code === null || code === undefined) return "";
  const found = (configuration[vocabulary] || []).find((c) => c.code === code);
  return found ? found.label : code;
}
