// The farmer's status page: receipt code + phone → where the report stands, what happens
// next and by when, and the decision with its reason.

import { dateText } from "/static/js/lib/format.js";
import { html, render } from "/static/js/lib/html.js";
import { receipts } from "/static/js/report/receipts.js";

const $ = (id) => document.getElementById(id);

function fill(r) {
  $("receipt-code").value = r.receipt_code;
  $("phone").value = r.phone || "";
}

function say(text, kind = "") {
  $("status-message").className = `message ${kind}`;
  $("status-message").textContent = text;
}

async function look(event) {
  event?.preventDefault();
  const code = $("receipt-code").value.trim().toUpperCase();
  const phone = $("phone").value.replace(/\D/g, "");
  const out = $("status-result");
  if (!code || !/^1\d{10}$/.test(phone)) {
    say("请填写受理编号和11位手机号", "error");
    return;
  }
  say("正在查询……");
  try {
    const params = new URLSearchParams({ receipt_code: code, phone });
    const response = await fetch(`/api/v1/self-reports/lookup?${params}`);
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new Error(body?.message || "查询失败，请稍后再试");
    say("");
    render(
      out,
      html`<p>受理编号 ${body.receipt_code}</p>
      <p class="status-big" id="status-name">${body.status_name}</p>
      <p>${body.step}</p>
      ${body.decision && html`<p>结果：<strong>${body.status_name}</strong></p>`}
      ${body.decision && body.reason && html`<p>理由：${body.reason}</p>`}
      <p>下一步：${body.next_step}</p>
      ${
        body.due_on &&
        html`<p>办理时限：<strong>${dateText(body.due_on)}</strong>前
          ${body.overdue && html`<span class="tag overdue">已超时</span>，可以联系村干部催办`}</p>`
      }
      <h2>办理经过</h2>
      <ol class="steps">${body.steps.map(
        (s) => html`<li>${dateText(s.on)} ${s.status_name}</li>`,
      )}</ol>`,
    );
    out.hidden = false;
  } catch (err) {
    out.hidden = true;
    say(navigator.onLine ? err.message : "现在没有网络，联网后再查询", "error");
  }
}

// The reports sent from this phone, each a labelled button that looks it up.
const known = receipts();
const wanted = new URLSearchParams(location.search).get("code");
const first = known.find((r) => r.receipt_code === wanted) || known[0];
$("remembered-box").hidden = known.length === 0;
for (const r of known) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "big-button";
  b.textContent = `查询 ${r.receipt_code} 的进度`;
  b.addEventListener("click", () => {
    fill(r);
    look();
  });
  $("remembered").append(b);
}
$("status-form").addEventListener("submit", look);
if (first) {
  fill(first);
  look();
}
