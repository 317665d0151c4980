// A file from the API, fetched with the person's token (a plain link cannot send it) and saved through an
// object URL under the name the answer gives (Content-Disposition).
import { session, Problem } from "./api.js";

/** Fetches `path` (with `query` and `headers`) and saves it; throws a Problem for an answer that is not 2xx. */
export async function download(path, { query = {}, headers = {}, filename = null } = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  const response = await fetch(url, { headers: { Authorization: `Bearer ${session().token}`, ...headers } });
  if (!response.ok) {
    const body = await response.json().catch(() => ({ title: response.statusText || `HTTP ${response.status}` }));
    throw new Problem(response.status, body);
  }
  save(await response.blob(), filename || nameIn(response.headers.get("Content-Disposition")) || "download");
}

/** Saves a blob as a file named `name`. */
export function save(blob, name) {
  const href = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has taken the file once the click is handled; the URL would otherwise hold the blob.
  setTimeout(() => URL.revokeObjectURL(href), 0);
}

function nameIn(disposition) {
  const match = /filename="([^"]+)"/.exec(disposition || "");
  return match && match[1];
}
