// The visit form: short by default (the basic-needs checklist as six large toggles, the
// month's money folded behind 「本月收支有变化」 with the latest month's figures offered),
// photos shrunk on the phone, and the record saved to the outbox before anything is sent.

import { html, render } from "/static/js/lib/html.js";
import { newId } from "/static/js/lib/queue.js";
import { choices } from "/static/js/lib/vocabulary.js";

const $ = (id) => document.getElementById(id);
const INCOME = ["wage", "business", "property", "transfer", "business_cost"];
const SPENDING = ["medical_spending", "schooling_spending", "other_spending"];
const MONEY = [...INCOME, ...SPENDING];
const MAX_PHOTOS = 6;

function localInputValue(date) {
  const d = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

// Photos are shrunk on the phone (long side 1280 px, JPEG) before they are stored.
async function shrink(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, 1280 / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.8));
  return { blob, name: `${file.name.replace(/\.\w+$/, "")}.jpg`, file_id: null };
}

function labelOf(form, name) {
  return form.elements[name].closest("label").firstChild.textContent.trim();
}

function amount(form, name) {
  const raw = form.elements[name].value.trim();
  if (raw === "") return 0;
  if (!/^\d+$/.test(raw)) throw new Error(`${labelOf(form, name)}应为不小于0的整数（元）`);
  return Number(raw);
}

function ledgerText(ledger) {
  const form = $("visit-form");
  const parts = MONEY.filter((k) => ledger[k]).map((k) => `${labelOf(form, k)}${ledger[k]}`);
  return parts.length ? `${parts.join("，")}元` : "都是 0";
}

function buildChecklist(values = {}) {
  const needs = choices("basic_needs");
  render(
    $("checklist"),
    html`${Object.entries(needs).map(([k, label]) => {
      const bad = values[k]?.ok === false;
      return html`<div class="need">
        <label class="toggle">
          <input type="checkbox" name="problem_${k}" aria-label="${label}：有问题" ${bad && "checked"}>
          <span class="toggle-face"><b>${label}</b><span class="is-ok">✓ 有保障</span>
            <span class="is-bad">✗ 有问题</span></span>
        </label>
        <input name="note_${k}" placeholder="什么问题" aria-label="${label}：问题说明"
          value="${values[k]?.note || ""}" ${!bad && "hidden"}>
      </div>`;
    })}`,
  );
}

function buildRisks(selected = []) {
  render(
    $("risks"),
    html`${Object.entries(choices("risk_type")).map(
      ([k, label]) => html`<label class="chip"><input type="checkbox" name="risk" value="${k}"
        ${selected.includes(k) && "checked"}><span>${label}</span></label>`,
    )}`,
  );
  $("risk-box").open = selected.length > 0;
}

export function createVisitForm(app, { onSaved }) {
  const form = $("visit-form");
  // What one opened form holds; a new object each time the form opens.
  let current = { editing: null, photos: [], position: null, household: null };
  let saving = false;

  function showPhotos(note = "") {
    const n = current.photos.length;
    $("photo-state").textContent = note || (n ? `已选${n}张照片（已压缩）` : "还没有照片");
    $("clear-photos").hidden = n === 0;
  }

  function showMoney(open) {
    $("money-changed").checked = open;
    $("money-fields").hidden = !open;
  }

  function offerLedger(household, payload) {
    const latest = household?.latest_ledger;
    $("last-ledger").textContent = latest
      ? `上次登记（${latest.month}）：${ledgerText(latest)}`
      : "还没有登记过收支";
    for (const k of MONEY) form.elements[k].value = payload?.ledger?.[k] ?? "";
    for (const k of MONEY) form.elements[k].placeholder = latest ? `上次 ${latest[k]}` : "";
    $("money-hint").textContent = latest
      ? `收入已按 ${latest.month} 的登记填好，只改有变化的；大额支出填本月的。`
      : "请填写本月的数字（元），没有的空着。";
    showMoney(Boolean(payload?.ledger));
  }

  $("money-changed").addEventListener("change", () => {
    const open = $("money-changed").checked;
    showMoney(open);
    const latest = current.household?.latest_ledger;
    if (open && latest) {
      for (const k of INCOME) if (form.elements[k].value === "") form.elements[k].value = latest[k];
    }
  });

  function open(householdId, item = null) {
    const h = app.households.find((x) => x.id === householdId);
    current = {
      editing: item,
      photos: item ? [...(item.photos || [])] : [],
      position: item?.payload.position || null,
      household: h,
    };
    const p = item?.payload;
    form.reset();
    $("visit-title").textContent =
      `${item ? "修改" : "记录"}走访：${h ? `${h.head_name} 户` : item?.label || ""}`;
    $("visit-back").href = item ? "#failed" : `#household/${householdId}`;
    form.elements.visited_at.value = localInputValue(p ? new Date(p.visited_at) : new Date());
    form.elements.kind.value = p?.kind || "home";
    form.elements.reached.value = p?.reached || "";
    form.elements.help_given.value = p?.help_given || "";
    form.elements.notes.value = p?.notes || "";
    form.elements.family_agrees.value = p && !p.family_agrees ? "no" : "yes";
    form.elements.agreed_by.value = p?.agreed_by || "";
    buildChecklist(p?.checklist);
    buildRisks(p?.new_risks);
    offerLedger(h, p);
    $("reached-label").hidden = form.elements.kind.value !== "phone";
    $("gps-state").textContent = current.position
      ? `已记录位置（±${Math.round(current.position.accuracy_m || 0)}米）`
      : "未记录位置";
    showPhotos();
    const message = $("form-message");
    message.className = "message error";
    message.textContent = item?.error ? `上次被拒绝：${item.error.message}` : "";
    form.dataset.household = householdId;
  }

  function collect() {
    const kind = form.elements.kind.value;
    const checklist = {};
    const needs = choices("basic_needs");
    for (const k of Object.keys(needs)) {
      const bad = form.elements[`problem_${k}`].checked;
      const note = form.elements[`note_${k}`].value.trim();
      if (bad && !note) throw new Error(`${needs[k]}：有问题时请写明是什么问题`);
      checklist[k] = bad ? { ok: false, note } : { ok: true };
    }
    if (!form.elements.visited_at.value) throw new Error("请填写走访时间");
    const visitedAt = new Date(form.elements.visited_at.value);
    if (visitedAt.getTime() > Date.now() + 10 * 60000) throw new Error("走访时间不能晚于现在");
    const reached = form.elements.reached.value.trim();
    if (kind === "phone" && !reached) throw new Error("电话走访请写明接电话的人");
    const agrees = form.elements.family_agrees.value === "yes";
    const agreedBy = form.elements.agreed_by.value.trim();
    if (agrees && !agreedBy) throw new Error("请写明是谁认可了走访记录");
    const { editing, position } = current;
    const payload = {
      // A record refused for reusing an id is sent again under a new one.
      id: editing && editing.error?.code !== "visit_id_conflict" ? editing.id : newId(),
      household_id: form.dataset.household,
      kind,
      visited_at: visitedAt.toISOString(),
      checklist,
      new_risks: [...form.querySelectorAll("input[name=risk]:checked")].map((x) => x.value),
      help_given: form.elements.help_given.value.trim(),
      notes: form.elements.notes.value.trim(),
      photo_ids: [],
      family_agrees: agrees,
    };
    if ($("money-changed").checked) {
      payload.ledger = Object.fromEntries(MONEY.map((k) => [k, amount(form, k)]));
    }
    if (kind === "phone") payload.reached = reached;
    if (agreedBy) payload.agreed_by = agreedBy;
    if (position) payload.position = position;
    if (editing?.payload.corrects_id) payload.corrects_id = editing.payload.corrects_id;
    return payload;
  }

  async function save(payload) {
    const { editing, household: h, photos } = current;
    const replaced = editing && editing.id !== payload.id ? editing.id : null;
    await app.queue.enqueue({
      id: payload.id,
      user_id: app.me.id,
      area_code: h?.area_code || editing?.area_code,
      label: h ? `${h.head_name} 户` : editing?.label || "",
      payload,
      photos,
      created_at: editing?.created_at || new Date().toISOString(),
    });
    // Only once the corrected copy is stored is the refused one let go.
    if (replaced) await app.queue.remove(replaced);
    current = { editing: null, photos: [], position: null, household: null };
    await onSaved();
  }

  form.addEventListener("change", (event) => {
    const { name, checked, value } = event.target;
    if (name === "kind") $("reached-label").hidden = value !== "phone";
    if (name?.startsWith("problem_")) {
      const note = form.elements[name.replace("problem_", "note_")];
      note.hidden = !checked;
      if (checked) note.focus();
    }
  });

  form.elements.photos.addEventListener("change", async (event) => {
    const files = [...event.target.files];
    const notes = [];
    const room = MAX_PHOTOS - current.photos.length;
    if (files.length > room) notes.push(`最多${MAX_PHOTOS}张照片，多出的没有加入`);
    for (const file of files.slice(0, Math.max(0, room))) {
      try {
        current.photos.push(await shrink(file));
      } catch {
        notes.push(`${file.name} 不是可用的照片`);
      }
    }
    event.target.value = "";
    const n = current.photos.length;
    showPhotos(notes.length ? `已选${n}张照片（已压缩）；${notes.join("；")}` : "");
  });

  $("clear-photos").addEventListener("click", () => {
    current.photos = [];
    showPhotos("已清除照片");
  });

  $("gps").addEventListener("click", () => {
    const state = $("gps-state");
    if (!navigator.geolocation) {
      state.textContent = "这部手机不能定位";
      return;
    }
    state.textContent = "正在定位……";
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        const { latitude, longitude, accuracy } = pos.coords;
        current.position = { latitude, longitude, accuracy_m: accuracy };
        state.textContent = `已记录位置（±${Math.round(accuracy)}米）`;
      },
      () => {
        state.textContent = "没有记录位置（未同意或定位失败）";
      },
      { enableHighAccuracy: true, timeout: 15000 },
    );
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (saving) return; // a second tap must not make a second record
    const message = $("form-message");
    let payload;
    try {
      payload = collect();
    } catch (err) {
      message.className = "message error";
      message.textContent = err.message;
      return;
    }
    saving = true;
    try {
      await save(payload);
    } finally {
      saving = false;
    }
  });

  return { open };
}
