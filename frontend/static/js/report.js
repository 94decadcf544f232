// The farmer's report page: village (from the poster's QR code, or found by name), name,
// phone, risk chips, send. Everything goes through the outbox, so no network never loses it.

import * as outbox from "/static/js/report-outbox.js";

const $ = (id) => document.getElementById(id);
const MOBILE = /^1[3-9]\d{9}$/;
const VILLAGE_KEY = "shouwang.village";
let village = null;

function say(text, kind = "") {
  const m = $("report-message");
  m.className = `message ${kind}`;
  m.textContent = text;
}

function setVillage(code, name) {
  village = { code, name };
  localStorage.setItem(VILLAGE_KEY, JSON.stringify(village));
  $("village-name").textContent = name || code;
  $("village-chosen").hidden = false;
  $("village-pick").hidden = true;
}

async function villageName(code) {
  const response = await fetch(`/api/v1/areas/${encodeURIComponent(code)}/path`);
  if (!response.ok) return null;
  const path = (await response.json()).data;
  const last = path[path.length - 1];
  if (!last || last.level !== "village") return null;
  return path.filter((a) => a.code.length >= 6).map((a) => a.name).join("");
}

async function initVillage() {
  const code = new URLSearchParams(location.search).get("village");
  let saved = null;
  try { saved = JSON.parse(localStorage.getItem(VILLAGE_KEY) || "null"); } catch { saved = null; }
  if (code) {
    if (saved && saved.code === code) return setVillage(code, saved.name);
    try {
      const name = await villageName(code);
      if (name) return setVillage(code, name);
      say("二维码里的村没有找到,请输入村名查找", "error");
    } catch {
      return setVillage(code, `村代码 ${code}`); // offline: the server checks the code later
    }
  } else if (saved) {
    setVillage(saved.code, saved.name);
  }
}

let searchTimer = null;
function searchVillages() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    const q = $("village-search").value.trim();
    const list = $("village-options");
    list.innerHTML = "";
    if (!q) return;
    try {
      const response = await fetch(`/api/v1/areas?q=${encodeURIComponent(q)}&limit=20`);
      const rows = (await response.json()).data.filter((a) => a.level === "village");
      if (!rows.length) list.innerHTML = "<li class=\"muted\">没有找到,换个字试试</li>";
      for (const a of rows) {
        const li = document.createElement("li");
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = a.name;
        b.addEventListener("click", async () => {
          setVillage(a.code, a.name);
          villageName(a.code).then((full) => full && setVillage(a.code, full)).catch(() => {});
        });
        li.append(b);
        list.append(li);
      }
    } catch {
      list.innerHTML = "<li class=\"error\">没有网络,无法查找村名</li>";
    }
  }, 250);
}

// Photos are shrunk on the phone to at most 1600 px before they are stored or sent.
async function shrink(file, max = 1600) {
  try {
    const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    const scale = Math.min(1, max / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    return await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.82));
  } catch {
    return file; // not something the browser can draw: the server will say why
  }
}

function showReceipt(receipt, later = false) {
  $("report-view").hidden = true;
  $("receipt").hidden = false;
  $("receipt-title").textContent = later ? "之前保存的报告已发送,已受理" : "报告已受理";
  $("receipt-code").textContent = receipt.receipt_code;
  $("to-status").href = `/report/status?code=${encodeURIComponent(receipt.receipt_code)}`;
}

async function showOutbox() {
  const items = await outbox.all().catch(() => []);
  $("outbox-box").hidden = items.length === 0;
  $("outbox-list").innerHTML = "";
  for (const item of items) {
    const li = document.createElement("li");
    const later = item.next_try_at && item.next_try_at > Date.now()
      ? `${new Date(item.next_try_at).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" })} 后自动再发`
      : "联网时打开本页即自动发送";
    li.textContent = item.failed
      ? `「${item.record.name}」的报告发送失败:${item.failed}`
      : `「${item.record.name}」的报告等待发送(${later})`;
    if (item.failed) {
      li.className = "error";
      const drop = document.createElement("button");
      drop.type = "button";
      drop.textContent = "删除";
      drop.addEventListener("click", async () => { await outbox.remove(item.id); showOutbox(); });
      li.append(" ", drop);
    }
    $("outbox-list").append(li);
  }
}

async function flush() {
  await outbox.flush((receipt) => showReceipt(receipt, true));
  showOutbox();
}

function collect() {
  const name = $("name").value.trim();
  const phone = $("phone").value.trim();
  const risks = [...document.querySelectorAll("input[name=risk_types]:checked")].map((i) => i.value);
  const onBehalf = $("on-behalf").checked;
  if (!village) return "请先选择所在的村";
  if (!name) return "请填写姓名";
  if (!MOBILE.test(phone)) return "手机号应为 11 位,以 1 开头";
  if (!risks.length) return "请点选遇到的困难(至少一项)";
  const record = {
    id: outbox.newId(),
    area_code: village.code,
    name,
    phone,
    risk_types: risks,
    note: $("note").value.trim(),
    on_behalf: onBehalf,
  };
  const idNumber = $("id-number").value.trim().toUpperCase();
  if (idNumber) record.id_number = idNumber;
  if (onBehalf) {
    record.reporter_name = $("reporter-name").value.trim();
    record.reporter_phone = $("reporter-phone").value.trim();
    if (!record.reporter_name) return "请填写代报人姓名";
    if (!MOBILE.test(record.reporter_phone)) return "代报人手机号应为 11 位,以 1 开头";
  }
  return record;
}

// After a report is sent or kept on the phone the form is emptied, so a second tap cannot
// send the same report again as a new one. The village stays.
function resetForm() {
  $("report-form").reset();
  $("behalf-fields").hidden = true;
  $("name-label").textContent = "姓名";
  $("phone-label").textContent = "手机号";
}

// What the farmer reads when the report could not go now.
function queuedMessage(result, stored) {
  if (!stored) {
    // Nothing was kept: the form still holds the report, to send again.
    if (result.reason === "offline") {
      return "现在没有网络,这部手机也无法保存报告。请联网后再按“发送”,或直接联系村干部。";
    }
    return `${result.message}。请 ${outbox.readableWait(result.wait)}后再按“发送”,或直接联系村干部。`;
  }
  if (result.reason === "offline") {
    return "现在没有网络,报告已保存在手机上。联网后打开这个页面,报告就会自动发送。请不要清除浏览器数据。";
  }
  return `${result.message}。报告已保存在手机上,${outbox.readableWait(result.wait)}后打开这个页面会自动再发。`;
}

$("report-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const record = collect();
  if (typeof record === "string") return say(record, "error");
  const files = [...$("photos").files];
  if (files.length > 3) return say("照片最多 3 张,请重新选择", "error");
  $("send").disabled = true;
  say("正在发送……");
  try {
    const photos = [];
    for (const file of files) photos.push(await shrink(file));
    const item = { id: record.id, record, photos, saved_at: new Date().toISOString() };
    // No IndexedDB (private mode, storage full, an old browser): send it directly.
    let stored = true;
    try { await outbox.put(item); } catch { stored = false; }
    const result = await outbox.send(item, { stored });
    if (result.state === "sent") {
      resetForm();
      say("");
      showReceipt(result.receipt);
    } else if (result.state === "queued") {
      if (stored) resetForm();
      say(queuedMessage(result, stored), stored ? "ok" : "error");
    } else {
      if (stored) await outbox.remove(item.id).catch(() => {}); // the form is still here to correct
      say(result.message, "error");
    }
  } catch (err) {
    say("出了点问题,报告没有发出。请稍后再按“发送”,或直接联系村干部。", "error");
  } finally {
    $("send").disabled = false;
    showOutbox();
  }
});

$("on-behalf").addEventListener("change", () => {
  const on = $("on-behalf").checked;
  $("behalf-fields").hidden = !on;
  $("name-label").textContent = on ? "困难户姓名" : "姓名";
  $("phone-label").textContent = on ? "困难户手机号" : "手机号";
});
$("village-change").addEventListener("click", () => {
  $("village-chosen").hidden = true;
  $("village-pick").hidden = false;
  $("village-search").focus();
});
$("village-search").addEventListener("input", searchVillages);
$("another").addEventListener("click", () => {
  resetForm();
  $("receipt").hidden = true;
  $("report-view").hidden = false;
  say("");
});
$("send-now").addEventListener("click", flush);
window.addEventListener("online", flush);
document.addEventListener("visibilitychange", () => { if (!document.hidden) flush(); });

// Some phones never fire `online`: while something waits, look every 15 seconds (a report
// the server asked to wait, or that met a server error, is sent only when its time comes).
setInterval(() => { if (navigator.onLine && !$("outbox-box").hidden) flush(); }, 15000);

initVillage();
flush();
