// The choices forms offer, in the server's words: the server renders them into the page
// (backend/pwa.py), from the same dictionaries its answers' `*_name` fields come from.

let words = null;

export function choices(kind) {
  words ??= JSON.parse(document.getElementById("vocabulary")?.textContent || "{}");
  return words[kind] || {};
}
