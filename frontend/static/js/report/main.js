// The farmer's report page: village (from the poster's QR code, or found by name), name,
// phone, risk chips, send. Everything goes through the outbox, so no network never loses
// it; a mistake is shown at the box it is about, and the screen scrolls there.

import { fieldOf, readable } from "/static/js/lib/api.js";
import { dateText, readableWait } from "/static/js/lib/format.js";
import { newId } from "/static/js/lib/queue.js";
import { reportQueue, sendDirectly } from "/static/js/report/outbox.js";

const $ = (id) => document.getElementById(id);
const MOBILE = /^1[3-9]\d{9}$/;
const VILLAGE_KEY = "shouwang.village";
const NOTE_MAX = 500;
const SERIOUS = "大病";
const MAX_PHOTOS = 3;
const PHOTO_MAX_BYTES = 20 * 1024 * 1024;
// The boxes of this form, by the server's field names.
const BOXES = {
  area_code: "village-box",
  name: "name",
  phone: "phone",
  risk_types: "risk-field",
  reporter_name: "reporter-name",
  reporter_phone: "reporter-phone",
  note: "note",
  photos: "photo-field",
  id_number: "id-number",
};
const LABELS = {
  area_code: "所在村",
  name: "姓名",
  phone: "手机号",
  risk_types: "困难",
  reporter_name: "代报人姓名",
  reporter_phone: "代报人手机号",
  note: "补充说明",
  photos: "照片",
  id_number: "身份证号",
};

let village = null;
let photos = []; // shrunk on the phone as soon as they are chosen
let submitting = null;

function say(text, kind = "") {
  const m = $("report-message");
  m.className = `message ${kind}`;
  m.textContent = text;
}

// --- marking a mistake at its box -------------------------------------------------------

function clearMarks() {
  for (const el of document.querySelectorAll(".field-error")) el.remove();
  for (const el of document.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of document.querySelectorAll(".invalid")) el.classList.remove("invalid");
}

function mark(field, message) {
  clearMarks();
  const box = $(BOXES[field] || "");
  say(message, "error");
  if (!box) return;
  if (box.closest("details")) box.closest("details").open = true;
  const wrapper = box.closest(".field") || box;
  wrapper.classList.add("invalid");
  if (box.matches("input, textarea")) box.setAttribute("aria-invalid", "true");
  const note = document.createElement("p");
  note.className = "field-error";
  note.setAttribute("role", "alert");
  note.textContent = message;
  wrapper.append(note);
  wrapper.scrollIntoView({ block: "center" });
  if (box.matches("input, textarea")) box.focus({ preventScroll: true });
}

// --- the village --------------------------------------------------------------------------

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
  if (last?.level !== "village") return null;
  return path
    .filter((a) => a.code.length >= 6)
    .map((a) => a.name)
    .join("");
}

async function initVillage() {
  const code = new URLSearchParams(location.search).get("village");
  let saved = null;
  try {
    saved = JSON.parse(localStorage.getItem(VILLAGE_KEY) || "null");
  } catch {
    saved = null;
  }
  if (code) {
    if (saved && saved.code === code) return setVillage(code, saved.name);
    try {
      const name = await villageName(code);
      if (name) return setVillage(code, name);
      say("二维码里的村没有找到，请输入村名查找", "error");
    } catch {
      return setVillage(code, `村代码 ${code}`); // offline: the server checks the code later
    }
  } else if (saved) {
    setVillage(saved.code, saved.name);
  }
  return null;
}

let searchTimer = null;
function searchVillages() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    const q = $("village-search").value.trim();
    const list = $("village-options");
    list.replaceChildren();
    if (!q) return;
    const line = (text, className) => {
      const li = document.createElement("li");
      li.className = className;
      li.textContent = text;
      list.append(li);
    };
    try {
      const response = await fetch(`/api/v1/areas?q=${encodeURIComponent(q)}&limit=20`);
      const rows = (await response.json()).data.filter((a) => a.level === "village");
      if (!rows.length) line("没有找到，换个字试试", "muted");
      for (const a of rows) {
        const li = document.createElement("li");
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = a.name;
        b.addEventListener("click", () => {
          setVillage(a.code, a.name);
          villageName(a.code)
            .then((full) => full && setVillage(a.code, full))
            .catch(() => {});
        });
        li.append(b);
        list.append(li);
      }
    } catch {
      line("没有网络，无法查找村名", "error");
    }
  }, 250);
}

// --- what the farmer types ----------------------------------------------------------------

// Spaces, dashes, full-width digits and a leading +86 are how people write numbers: kept
// as the eleven digits they mean.
function normalizePhone(value) {
  const digits = String(value)
    .replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[\s\u3000\-‐‑–—－()()]/g, "");
  return digits.replace(/^(\+|00)?86(?=1\d{10}$)/, "");
}

function seriousChosen() {
  return document.querySelector("input[name=risk_types][value=serious_illness]").checked;
}

// Room left for the farmer's own words (「大病：」 leads the note when 大病 is chosen).
function noteRoom() {
  return NOTE_MAX - (seriousChosen() ? SERIOUS.length + 1 : 0);
}

function showNoteCount() {
  const used = [...$("note").value.trim()].length;
  const room = noteRoom();
  const counter = $("note-count");
  counter.textContent =
    used > room ? `多了${used - room}字，最多${room}字` : `还能写${room - used}字`;
  counter.classList.toggle("error", used > room);
}

async function shrink(file, max = 1600) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const scale = Math.min(1, max / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.82));
}

function showPhotos() {
  $("photo-state").textContent = photos.length
    ? `已选${photos.length}张照片（已在手机上压缩）`
    : "还没有照片";
}

// A photo is checked on the phone when it is chosen (type, size, that it is a picture at
// all) and shrunk to at most 1600 px: nothing unusable ever crosses a slow network.
async function choosePhotos(event) {
  const files = [...event.target.files];
  event.target.value = "";
  clearMarks();
  if (photos.length + files.length > MAX_PHOTOS) {
    mark("photos", `照片最多${MAX_PHOTOS}张，请少选几张`);
    return;
  }
  for (const file of files) {
    const named = `「${file.name}」`;
    if (file.type && !file.type.startsWith("image/")) {
      mark("photos", `${named}不是照片，请选择手机拍的照片`);
      return;
    }
    if (file.size > PHOTO_MAX_BYTES) {
      mark("photos", `${named}太大了（超过 20 MB），请换一张`);
      return;
    }
    try {
      photos.push(await shrink(file));
    } catch {
      mark("photos", `${named}打不开，不是照片，请换一张`);
      return;
    }
  }
  showPhotos();
}

// The report as the server takes it, or {field, message} for the first box that is wrong.
function collect() {
  const name = $("name").value.trim();
  const phone = normalizePhone($("phone").value);
  const chosen = [...document.querySelectorAll("input[name=risk_types]:checked")].map(
    (i) => i.value,
  );
  const onBehalf = $("on-behalf").checked;
  const words = $("note").value.trim();
  if (!village) return { field: "area_code", message: "请先选择所在的村" };
  if (!name) return { field: "name", message: "请填写姓名" };
  if (!MOBILE.test(phone)) return { field: "phone", message: "手机号应为11位数字，以1开头" };
  if (!chosen.length) return { field: "risk_types", message: "请点选遇到的困难（至少一项）" };
  if ([...words].length > noteRoom()) {
    return { field: "note", message: `补充说明最多${noteRoom()}字，请删短一些` };
  }
  const serious = chosen.includes("serious_illness");
  const risks = new Set(chosen.map((r) => (r === "serious_illness" ? "illness" : r)));
  const record = {
    id: newId(),
    area_code: village.code,
    name,
    phone,
    risk_types: [...risks],
    note: serious ? [SERIOUS, words].filter(Boolean).join("：") : words,
    on_behalf: onBehalf,
  };
  const idNumber = $("id-number").value.trim().toUpperCase();
  if (idNumber) record.id_number = idNumber;
  if (onBehalf) {
    record.reporter_name = $("reporter-name").value.trim();
    record.reporter_phone = normalizePhone($("reporter-phone").value);
    if (!record.reporter_name) return { field: "reporter_name", message: "请填写代报人姓名" };
    if (!MOBILE.test(record.reporter_phone)) {
      return { field: "reporter_phone", message: "代报人手机号应为11位数字，以1开头" };
    }
  }
  return { record };
}

// After a report is sent or kept on the phone the form is emptied, so a second tap cannot
// send the same report again as a new one. The village stays.
function resetForm() {
  $("report-form").reset();
  photos = [];
  showPhotos();
  showNoteCount();
  $("behalf-fields").hidden = true;
  $("name-label").textContent = "姓名";
  $("phone-label").textContent = "手机号";
}

// --- answers --------------------------------------------------------------------------------

function showReceipt(receipt, later = false) {
  $("report-view").hidden = true;
  $("receipt").hidden = false;
  $("receipt-title").textContent = later ? "之前保存的报告已发送，已受理" : "报告已受理";
  $("receipt-code").textContent = receipt.receipt_code;
  const due = $("receipt-due");
  due.replaceChildren("请记下这个编号。村里会在 ");
  const when = document.createElement("strong");
  when.textContent = receipt.village_due_on
    ? `${receipt.village_check_days}个工作日内（${dateText(receipt.village_due_on)}前）`
    : "几天内";
  due.append(when, " 上门核实。凭编号和手机号可以查询办理进度。");
  $("to-status").href = `/report/status?code=${encodeURIComponent(receipt.receipt_code)}`;
}

// What the farmer reads when the report could not go now.
function laterMessage(outcome, stored) {
  const wait = outcome.wait ? readableWait(outcome.wait) : null;
  const why = {
    offline: "现在没有网络",
    portal: "现在的无线网要先在网页上登录，报告没有发出去",
    busy: outcome.body?.message || "现在提交的人太多",
    server: "服务器暂时出了问题",
  }[outcome.reason || "offline"];
  if (!stored) {
    return `${why}。这部手机也无法保存报告，请${wait ? `${wait}后` : "联网后"}再按“发送”，或直接联系村干部。`;
  }
  if (outcome.reason === "offline" || outcome.reason === "portal") {
    return `${why}，报告已保存在手机上。联网后会自动发送（关掉了就联网后再打开这个页面）。请不要清除浏览器数据。`;
  }
  return `${why}。报告已保存在手机上，${wait || "稍后"}后自动再发（关掉了就到时再打开这个页面）。`;
}

const queue = reportQueue({
  onChange: () => showOutbox(),
  // A report kept earlier that has now gone: its receipt, at once, unless the farmer is
  // typing the next one (that form is never swept away).
  onSent: (item, outcome) => {
    if (item.id === submitting) return;
    if (!$("report-view").hidden && $("name").value.trim()) {
      const code = outcome.receipt.receipt_code;
      say(`之前保存的「${item.record.name}」的报告已发送，受理编号 ${code}`, "ok");
    } else {
      showReceipt(outcome.receipt, true);
    }
  },
});

async function showOutbox() {
  let items = [];
  try {
    items = (await queue.status()).items;
  } catch {
    items = [];
  }
  $("outbox-box").hidden = items.length === 0;
  const list = $("outbox-list");
  list.replaceChildren();
  for (const item of items) {
    const li = document.createElement("li");
    const at = Math.max(item.next_try || 0, item.not_before || 0);
    const when =
      at > Date.now()
        ? `${new Date(at).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" })} 自动再发`
        : "联网后自动发送";
    li.textContent =
      item.state === "failed"
        ? `「${item.record.name}」的报告发送失败：${item.error?.message}`
        : `「${item.record.name}」的报告等待发送（${when}）`;
    if (item.state === "failed") {
      li.className = "error";
      const drop = document.createElement("button");
      drop.type = "button";
      drop.textContent = `删除「${item.record.name}」的报告`;
      drop.addEventListener("click", () => queue.remove(item.id));
      li.append(" ", drop);
    }
    list.append(li);
  }
}

async function submit(event) {
  event.preventDefault();
  clearMarks();
  const { record, field, message } = collect();
  if (!record) return mark(field, message);
  $("send").disabled = true;
  say("正在发送……");
  const item = { id: record.id, record, photos: [...photos] };
  submitting = item.id;
  try {
    // No IndexedDB (private mode, storage full, an old browser): send it directly.
    let stored = true;
    try {
      await queue.enqueue(item);
    } catch {
      stored = false;
    }
    const outcome = stored
      ? (await queue.flush()).outcomes.get(item.id) || { kind: "later", reason: "offline" }
      : await sendDirectly(item);
    if (outcome.kind === "sent") {
      resetForm();
      say("");
      showReceipt(outcome.receipt);
    } else if (outcome.kind === "failed") {
      // Refused: the form still holds the report, to correct at the box named.
      if (stored) await queue.remove(item.id).catch(() => {});
      const text = readable(outcome.body, LABELS) || `发送失败（${outcome.status}）`;
      mark(fieldOf(outcome.body), text);
    } else {
      if (stored) resetForm();
      say(laterMessage(outcome, stored), stored ? "ok" : "error");
    }
  } catch {
    say("出了点问题，报告没有发出。请稍后再按“发送”，或直接联系村干部。", "error");
  } finally {
    submitting = null;
    $("send").disabled = false;
    showOutbox();
  }
  return null;
}

$("report-form").addEventListener("submit", submit);
$("report-form").addEventListener("input", (event) => {
  const wrapper = event.target.closest(".field.invalid");
  if (wrapper) clearMarks();
});
for (const id of ["phone", "reporter-phone"]) {
  $(id).addEventListener("blur", () => {
    const value = normalizePhone($(id).value);
    if (MOBILE.test(value)) $(id).value = value;
  });
}
$("note").addEventListener("input", showNoteCount);
$("risk-chips").addEventListener("change", showNoteCount);
$("photos").addEventListener("change", choosePhotos);
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
$("send-now").addEventListener("click", async () => {
  const r = await queue.flush({ force: true });
  if (r.offline || r.later) say("现在还发不出去，报告保存在手机上，会自动再发。", "warn");
});

showNoteCount();
initVillage();
queue.start().catch(() => showOutbox());
