// Production login: authorization code with PKCE at the organisation's OpenID Connect provider, through the
// vendored oidc-client-ts (vendor/oidc-client-ts.min.js, a global `oidc`); configured from /console/config.json,
// which the gateway answers from its environment (CONSOLE_OIDC_ISSUER, _CLIENT_ID, _SCOPES, _TOKEN).
import { el, problemBox } from "./app.js";
import { startSession, onLogout } from "./api.js";
import { t } from "./i18n.js";

let configuration;
/** The provider's settings, or null when none is configured (the console then offers no OIDC login). */
export async function oidcConfig() {
  if (configuration === undefined) {
    const response = await fetch("/console/config.json", { cache: "no-store" });
    const found = response.ok ? (await response.json()).oidc : null;
    configuration = found && found.issuer ? found : null;
  }
  return configuration;
}

let library;
function loadLibrary() {
  library ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "/console/vendor/oidc-client-ts.min.js";
    script.onload = () => resolve(window.oidc);
    script.onerror = () => reject(new Error("oidc-client-ts did not load"));
    document.head.append(script);
  });
  return library;
}

async function manager() {
  const config = await oidcConfig();
  const { UserManager, WebStorageStateStore } = await loadLibrary();
  // The code comes back to the console's own page; PKCE (S256) is the library's default for response_type code.
  return new UserManager({
    authority: config.issuer, client_id: config.client_id, scope: config.scopes,
    redirect_uri: `${location.origin}/`, post_logout_redirect_uri: `${location.origin}/`,
    response_type: "code", loadUserInfo: false, automaticSilentRenew: false,
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
    stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
  });
}

export async function renderOidcLogin(box) {
  const config = await oidcConfig();
  if (!config) {
    box.append(el("p", {}, t("login.oidc_absent")));
    return;
  }
  box.append(el("p", {}, t("login.oidc_at", { issuer: config.issuer })),
             el("button", { type: "button", id: "oidc-login", onclick: async () => {
               try {
                 await (await manager()).signinRedirect();
               } catch (error) {
                 box.append(problemBox({ title: t("login.oidc_failed"), detail: error.message }));
               }
             } }, t("login.oidc_button")));
}

/**
 * Back from the provider (`?code=…&state=…` on the console's page): the code exchanged for tokens (with the
 * PKCE verifier kept in sessionStorage), the platform asked who the token is. Returns whether it was a callback.
 * The token sent to the API is the access token, or the ID token where the provider's access tokens are opaque
 * (config `token: "id_token"`; the API's audience is then the console's client id).
 */
export async function completeLogin() {
  const query = new URLSearchParams(location.search);
  if (!(query.has("state") && (query.has("code") || query.has("error")))) return false;
  const config = await oidcConfig();
  history.replaceState(null, "", location.pathname + location.hash);  // the code is used once: not kept
  if (!config) return true;
  const users = await manager();
  const user = await users.signinRedirectCallback(`${location.origin}/?${query}`);
  const token = config.token === "id_token" ? user.id_token : user.access_token;
  await startSession(token, "oidc");
  return true;
}

onLogout(async () => {
  if (await oidcConfig()) (await manager()).removeUser();
});
