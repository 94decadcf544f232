// Markup from a tagged template: every value is escaped unless it is markup made here, so a
// name typed by a user can never become markup. Arrays are joined; null, undefined and
// false render as nothing.

class Markup {
  constructor(text) {
    this.text = text;
  }

  toString() {
    return this.text;
  }
}

const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

function part(value) {
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return value.map(part).join("");
  if (value === null || value === undefined || value === false) return "";
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

export function html(strings, ...values) {
  let out = strings[0];
  for (const [i, value] of values.entries()) out += part(value) + strings[i + 1];
  return new Markup(out);
}

// Puts markup made by `html` into an element (and nothing else: a plain string is text).
export function render(element, markup) {
  if (markup instanceof Markup) element.innerHTML = markup.text;
  else element.textContent = markup ?? "";
}

// Adds markup made by `html` after what the element holds (a list's next page).
export function append(element, markup) {
  element.insertAdjacentHTML("beforeend", markup instanceof Markup ? markup.text : "");
}
