// Dates and times as people in China read them (Asia/Shanghai), and waits in plain words.

const CHINA = new Intl.DateTimeFormat("sv-SE", {
  timeZone: "Asia/Shanghai",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
});

// "2026-05-01 09:30"
export const chinaTime = (iso) => CHINA.format(new Date(iso));
export const chinaDay = (iso) => chinaTime(iso).slice(0, 10);
export const chinaMonth = (iso) => chinaTime(iso).slice(0, 7);

// "2026-05-01" → "2026年5月1日"
export function dateText(day) {
  const [y, m, d] = String(day).split("-");
  return `${y}年${Number(m)}月${Number(d)}日`;
}

export function readableWait(seconds) {
  const s = Math.max(1, Math.round(seconds));
  if (s < 60) return `${s}秒`;
  if (s < 3600) return `${Math.ceil(s / 60)}分钟`;
  return `${Math.ceil(s / 3600)}小时`;
}
