// The farmer's status page: receipt code + phone → where the report stands, what happens
// next and by when, and the decision with its reason.

import { esc } from "/static/js/api.js";
import { receipts } from "/static/js/report-outbox.js";

const $ = (id) => document.getElementById(id);

function fill(r) {
  $("receipt-code").value = r.receipt_code;
  $("phone").value = r.phone || "";
}

function dateText(iso) {
  const [y, m, d] = iso.split("-");
  return `${y}年${Number(m)}月${Number(d)}日`;
}

async function look(event) {
  if (event) event.preventDefault();
  const code = $("receipt-code").value.trim().toUpperCase();
  const phone = $("phone").value.trim();
  const message = $("status-message");
  const out = $("status-result");
  if (!code || !/^1\d{10}$/.test(phone)) {
    message.className = "message error";
    message.textContent = "请填写受理编号和 11 位手机号";
    return;
  }
  message.className = "message";
  message.textContent = "正在查询……";
  try {
    const params = new URLSearchParams({ receipt_code: code, phone });
    const response = await fetch(`/api/v1/self-reports/lookup?${params}`);
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new Error((body && body.message) || "查询失败,请稍后再试");
    message.textContent = "";
    const due = body.due_on
      ? `<p>办理时限:<strong>${dateText(body.due_on)}</strong>前${body.overdue ? ' <span class="tag overdue">已超时</span>,可以联系村干部催办' : ""}</p>`
      : "";
    const decision = body.decision
      ? `<p>结果:<strong>${esc(body.status_name)}</strong></p>${body.reason ? `<p>理由:${esc(body.reason)}</p>` : ""}`
      : "";
    const steps = body.steps.map((s) => `<li>${dateText(s.on)} ${esc(s.status_name)}</li>`).join("");
    out.innerHTML = `<p>受理编号 ${esc(body.receipt_code)}</p>
      <p class="status-big" id="status-name">${esc(body.status_name)}</p>
      <p>${esc(body.step)}</p>${decision}
      <p>下一步:${esc(body.next_step)}</p>${due}
      <h2>办理经过</h2><ol class="steps">${steps}</ol>`;
    out.hidden = false;
  } catch (err) {
    out.hidden = true;
    message.className = "message error";
    message.textContent = navigator.onLine ? err.message : "现在没有网络,联网后再查询";
  }
}

const known = receipts();
const wanted = new URLSearchParams(location.search).get("code");
const first = known.find((r) => r.receipt_code === wanted) || known[0];
for (const r of known) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = r.receipt_code;
  b.addEventListener("click", () => { fill(r); look(); });
  $("remembered").append(b);
}
$("status-form").addEventListener("submit", look);
if (first) {
  fill(first);
  look();
}
