// Charts as SVG markup made with `html` (so every label is escaped): horizontal bars with
// their figures beside them, and columns month by month. A few dozen lines instead of a
// chart library: the desk needs bars and columns, drawn as text that scales on any phone,
// styled by classes in app.css (no inline styles, so the pages keep their strict CSP).

import { html } from "/static/js/lib/html.js";

const pct = (value, max) => (max > 0 ? Math.max(0, Math.min(100, (100 * value) / max)) : 0);
const fixed = (n) => Number(n.toFixed(2));
const LONG_LABEL = 5;

// One row per item: its label (a link when it has `href`), a bar scaled to `max` (the
// largest value unless given) and its figure. `mark` draws a line across every bar there
// (a county average, say), and an item with `hot` is the one that stands out.
export function bars(items, { max, unit = "", mark, markLabel = "" } = {}) {
  const top = max ?? Math.max(0, ...items.map((i) => i.value), mark ?? 0);
  // Long labels (排查's check titles) each take a line of their own on a phone, above
  // their bars: the whole chart alike, so the bars still line up.
  const stacked = items.some((i) => String(i.label).length > LONG_LABEL);
  return html`<ul class="chart-bars ${stacked && "stacked"}">${items.map((item) => {
    const label = item.href ? html`<a href="${item.href}">${item.label}</a>` : item.label;
    const width = fixed(pct(item.value, top));
    const line = mark != null && fixed(pct(mark, top));
    return html`<li class="${item.hot && "hot"}"><span class="chart-label">${label}</span>
      <svg class="chart-bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
        <rect class="chart-track" width="100" height="10"></rect>
        <rect class="chart-fill" width="${width}" height="10"></rect>
        ${line !== false && html`<line class="chart-mark" x1="${line}" x2="${line}" y1="0" y2="10"></line>`}
      </svg>
      <span class="chart-value">${item.text ?? `${item.value}${unit}`}</span></li>`;
  })}</ul>${mark != null && markLabel && html`<p class="chart-legend muted">竖线：${markLabel}</p>`}`;
}

// Columns for a run of months: `values` oldest first, `labels` the months ("2026-05").
export function columns(values, labels, { title = "", unit = "" } = {}) {
  const top = Math.max(1, ...values);
  const width = 100 / Math.max(1, values.length);
  const cols = values.map((v, i) => {
    const h = fixed((40 * v) / top);
    return html`<rect class="chart-fill" x="${fixed(i * width + width * 0.15)}" y="${fixed(40 - h)}"
      width="${fixed(width * 0.7)}" height="${h}"><title>${labels[i]}：${v}${unit}</title></rect>`;
  });
  const last = values.at(-1) ?? 0;
  return html`<figure class="chart-columns">
    <figcaption>${title} <strong>${last}${unit}</strong>
      <small class="muted">最多 ${Math.max(0, ...values)}</small></figcaption>
    <svg viewBox="0 0 100 40" preserveAspectRatio="none" role="img"
      aria-label="${title}：${labels.map((l, i) => `${l} ${values[i]}${unit}`).join("，")}">${cols}</svg>
    <div class="chart-axis muted"><span>${labels[0] ?? ""}</span><span>${labels.at(-1) ?? ""}</span></div>
  </figure>`;
}
