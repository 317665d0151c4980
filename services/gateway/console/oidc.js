// Production login: authorization code with PKCE at the organisation's OpenID Connect provider, through the
// vendored oidc-client-ts; configured from /console/config.json (the gateway's environment).
import { el } from "./app.js";
import { t } from "./i18n.js";

export async function oidcConfig() {
  const response = await fetch("/console/config.json", { cache: "no-store" });
  const config = response.ok ? (await response.json()).oidc : null;
  return config && config.issuer ? config : null;
}

export async function renderOidcLogin(box) {
  const config = await oidcConfig();
  if (!config) {
    box.append(el("p", {}, t("login.oidc_absent")));
    return;
  }
  box.append(el("p", {}, t("login.oidc_at", { issuer: config.issuer })),
             el("button", { type: "button", id: "oidc-login", disabled: true }, t("login.oidc_button")));
}
