// A refusal shown where it belongs: each `{field, message}` of the API's `detail` beside the
// box of that name in the form; what no box matches is listed at the form's foot, so nothing
// the server said is lost.

const last = (field) =>
  String(field)
    .split(".")
    .filter((p) => !/^\d+$/.test(p))
    .pop();

export function clearRefusals(form) {
  for (const el of form.querySelectorAll(".field-error")) el.remove();
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

function note(text) {
  const p = document.createElement("p");
  p.className = "field-error";
  p.setAttribute("role", "alert");
  p.textContent = text;
  return p;
}

// Marks every refusal of `err` (an ApiError) in `form`; answers how many were marked.
export function showRefusals(form, err) {
  clearRefusals(form);
  const detail = Array.isArray(err?.body?.detail) ? err.body.detail : [];
  const rules = detail.filter((d) => d && (d.message || d.rule));
  const loose = [];
  for (const d of rules) {
    const name = d.field ? last(d.field) : null;
    const box = name ? form.querySelector(`[name="${CSS.escape(name)}"]`) : null;
    const text = d.message || d.rule;
    if (!box) {
      loose.push(text);
      continue;
    }
    box.setAttribute("aria-invalid", "true");
    (box.closest("label") || box).after(note(text));
  }
  if (!rules.length && err?.message) loose.push(err.message);
  for (const text of loose) form.append(note(text));
  form.querySelector("[aria-invalid]")?.focus({ preventScroll: false });
  return rules.length;
}
