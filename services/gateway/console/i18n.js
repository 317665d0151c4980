// Dutch by default, English available: dictionaries i18n/nl.json and i18n/en.json, keys with {name} slots.
// Static text in the HTML carries data-i18n="key" (and data-i18n-aria-label / -placeholder / -title).
const LANGUAGES = ["nl", "en"];
const STORED = "console.language";
let current = "nl";
let words = {};
let fallback = {};

export function language() {
  const stored = localStorage.getItem(STORED);
  return LANGUAGES.includes(stored) ? stored : "nl";
}

export async function setLanguage(lang) {
  current = LANGUAGES.includes(lang) ? lang : "nl";
  localStorage.setItem(STORED, current);
  words = await load(current);
  if (!Object.keys(fallback).length) fallback = current === "nl" ? words : await load("nl");
  document.documentElement.lang = current;
  translatePage(document);
}

async function load(lang) {
  const response = await fetch(`/console/i18n/${lang}.json`);
  return response.ok ? response.json() : {};
}

/** The word for `key` in the current language (Dutch, then the key itself, when missing), slots filled. */
export function t(key, vars = {}) {
  const text = words[key] ?? fallback[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

export function translatePage(root) {
  root.querySelectorAll("[data-i18n]").forEach((node) => { node.textContent = t(node.dataset.i18n); });
  for (const attribute of ["aria-label", "placeholder", "title"]) {
    root.querySelectorAll(`[data-i18n-${attribute}]`).forEach((node) => {
      node.setAttribute(attribute, t(node.getAttribute(`data-i18n-${attribute}`)));
    });
  }
}

/** A date-time in the current language's way (and the person's time zone). */
export function formatDateTime(value) {
  if (!value) return "";
  const date = new Date(value);
  return isNaN(date) ? String(value)
    : date.toLocaleString(current === "nl" ? "nl-BE" : "en-GB", { dateStyle: "medium", timeStyle: "short" });
}

export function formatDate(value) {
  if (!value) return "";
  const date = new Date(value.length === 10 ? `${value}T00:00:00` : value);
  return isNaN(date) ? String(value) : date.toLocaleDateString(current === "nl" ? "nl-BE" : "en-GB",
                                                               { dateStyle: "medium" });
}

export function formatNumber(value) {
  return typeof value === "number" ? value.toLocaleString(current === "nl" ? "nl-BE" : "en-GB") : String(value ?? "");
}
