// The choices forms offer, in the server's words: the server renders them into the page
// (backend/pwa.py), from the same dictionaries its answers' `*_name` fields come from.

import { html } from "/static/js/lib/html.js";

let words = null;

export function choices(kind) {
  words ??= JSON.parse(document.getElementById("vocabulary")?.textContent || "{}");
  return words[kind] || {};
}

// A household's basic needs as tags: secure ✓, not secure ✗, in the server's words.
export function needTags(basicNeeds) {
  const names = choices("basic_needs");
  return Object.entries(basicNeeds).map(([k, ok]) => {
    const kind = ok ? "risk_cleared" : "monitored";
    return html`<span class="tag ${kind}">${names[k] || k}${ok ? "✓" : "✗"}</span>`;
  });
}
