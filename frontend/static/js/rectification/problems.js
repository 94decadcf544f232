// 整改销号's problems: the list (all, mine, waiting for my review) with overdue marks, and a
// problem's page with exactly the actions the server offers the viewer (`can`): claim,
// steps, camera evidence, progress, submit, review, 长期坚持, 举一反三.

import { api, apiBlob } from "/static/js/lib/api.js";
import { clearRefusals, showRefusals } from "/static/js/lib/forms.js";
import { append, html, render } from "/static/js/lib/html.js";
import { choices } from "/static/js/lib/vocabulary.js";
import {
  childAreas,
  chinaDateTime,
  overdueTag,
  statusTag,
  tabs,
} from "/static/js/rectification/common.js";

const $ = (id) => document.getElementById(id);
const PAGE = 30;
const TITLES = { list: "问题清单", mine: "我认领的问题", review: "待我审核的问题" };
const options = (names) =>
  Object.entries(names).map(([k, v]) => html`<option value="${k}">${v}</option>`);

function row(p) {
  const who = p.claimed_by
    ? `· 责任人 ${p.claimed_by.full_name}`
    : p.responsible_person && `· ${p.responsible_person}`;
  return html`<li class="problem-row ${p.overdue && "is-overdue"}"><a href="#problem/${p.id}">
    <strong>${p.number}. ${p.title}</strong><br>
    ${statusTag(p)}${overdueTag(p)}<span class="tag">${p.category_name}</span>
    ${p.ongoing && html`<span class="tag">长期坚持</span>`}
    <span class="muted">${p.area_name || p.area_code} · ${p.responsible_unit} ${who}
      · 时限 ${p.deadline}</span>
    </a></li>`;
}

function filters() {
  return html`<form id="problem-filter" class="filters">
    <input name="q" placeholder="问题标题或描述" aria-label="问题标题或描述">
    <select name="status" aria-label="状态"><option value="">全部状态</option>
      ${options(choices("problem_status"))}</select>
    <select name="category" aria-label="类别"><option value="">全部类别</option>
      ${options(choices("problem_category"))}</select>
    <select name="area" id="area-filter" aria-label="地区" hidden>
      <option value="">全部地区</option></select>
    <label class="check"><input type="checkbox" name="overdue" value="true"> 只看逾期</label>
    <label class="check"><input type="checkbox" name="review_due" value="true"> 只看复核逾期</label>
    <button type="submit">查找</button>
  </form>`;
}

export function list(ctx, mode) {
  const tab = mode === "list" ? "problems" : mode;
  ctx.draw(html`${tabs(tab)}<div id="list-view"><h2 id="list-title">${TITLES[mode]}</h2>
    ${filters()}
    <p class="count" id="problem-count"></p>
    <ul class="list" id="problem-list"></ul>
    <div class="pager"><button type="button" id="more" hidden>更多</button></div></div>`);
  const form = $("problem-filter");
  let offset = 0;
  childAreas(ctx.me).then((areas) => {
    const select = $("area-filter");
    if (!ctx.current() || !select || !areas.length) return;
    for (const a of areas) select.append(new Option(a.name, a.code));
    select.hidden = false;
  });

  async function load(more) {
    const params = new URLSearchParams({ offset, limit: PAGE });
    for (const [key, value] of new FormData(form)) if (value) params.set(key, value);
    if (mode === "mine") params.set("mine", "true");
    if (mode === "review") params.set("status", "submitted_for_closure");
    const target = $("problem-list");
    try {
      const page = await api(`/api/v1/problems?${params}`);
      if (!ctx.current()) return;
      $("problem-count").textContent = `共${page.count}个问题`;
      (more ? append : render)(target, html`${page.data.map(row)}`);
      offset += page.data.length;
      $("more").hidden = offset >= page.count;
    } catch (err) {
      if (ctx.current()) render(target, html`<li class="error">${err.message}</li>`);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    offset = 0;
    load(false);
  });
  $("more").addEventListener("click", () => load(true));
  return load(false);
}

// --- one problem ------------------------------------------------------------------------

function evidenceItem(e, canRemove) {
  // A file shows its own date (taken, else uploaded): that is what it proves.
  const when = e.file_date ? `拍摄/上传于 ${e.file_date}` : chinaDateTime(e.created_at);
  let body = html`文字记录：${e.text}`;
  if (e.kind === "file") {
    const shows = e.caption || e.file_name || "照片";
    body = e.content_type?.startsWith("image/")
      ? html`<img class="evidence-photo" data-file="${e.file_id}" alt="${shows}">
          <br>${e.caption || html`<span class="muted">（没有写照片说明）</span>`}`
      : html`文件：${shows}`;
  }
  return html`<li class="evidence">${body}<br><span class="muted">${e.created_by?.full_name}
    ${when}${e.frozen && " · 已提交"}</span>
    ${
      canRemove &&
      !e.frozen &&
      html`<button type="button" class="link-button" data-remove="${e.id}">删除</button>`
    }</li>`;
}

function addEvidence(s) {
  return html`<div class="evidence-add" data-step="${s.id}">
    <form class="form" data-caption-form="${s.id}" novalidate><label>照片说明（拍的是什么）
      <input name="caption" maxlength="200" data-caption="${s.id}"
        placeholder="如：村委会厕所清扫后" aria-label="照片说明：措施${s.position}"></label></form>
    <label class="big-button camera">拍照上传印证资料
      <input type="file" accept="image/*" capture="environment" data-camera="${s.id}"
        aria-label="拍照：措施${s.position}">
    </label>
    <form class="inline-form" data-text-evidence="${s.id}">
      <input name="text" placeholder="或写文字记录（如会议记录已归档）" aria-label="文字记录：措施${s.position}">
      <button type="submit">添加</button>
    </form></div>`;
}

function stepBlock(p, s) {
  const canAdd = p.can.includes("add_evidence");
  return html`<li class="step" data-step-id="${s.id}">
    <p><strong>措施${s.position}</strong> ${s.description}</p>
    <ul class="evidence-list">${s.evidence.map((e) => evidenceItem(e, canAdd))}</ul>
    ${!s.evidence.length && html`<p class="warn">还没有印证资料</p>`}
    ${canAdd && addEvidence(s)}</li>`;
}

function heading(p) {
  const person = p.claimed_by ? p.claimed_by.full_name : p.responsible_person || "尚未认领";
  return html`<p><a href="#problems">← 返回列表</a></p>
    <h2>问题${p.number}：${p.title}</h2>
    <p>${statusTag(p)}${overdueTag(p)}<span class="tag">${p.category_name}</span>
      <span class="tag">${p.severity_name}</span>
      ${p.ongoing && html`<span class="tag">长期坚持，下次复核 ${p.next_review_on}</span>`}</p>
    <p class="muted">${p.batch_title}</p>
    <p>${p.description}</p>
    <dl class="facts">
      <dt>地区</dt><dd>${p.area_name || p.area_code}</dd>
      <dt>责任单位</dt><dd>${p.responsible_unit || "未写明"}</dd>
      <dt>责任人</dt><dd>${person}</dd>
      <dt>整改时限</dt><dd>${p.deadline}</dd>
    </dl>`;
}

function claimForm(p) {
  return html`<form id="claim-form" class="form">
    <h3>认领这个问题</h3>
    <label>整改措施（每行一条）<textarea name="steps" rows="4" required></textarea></label>
    <label>计划完成日期（不晚于 ${p.deadline}）<input type="date" name="deadline" max="${p.deadline}"></label>
    <button type="submit" class="big-button primary">认领</button></form>`;
}

function notes(p, can) {
  const items = p.notes.map(
    (n) => html`<li>${n.text}<br><span class="muted">${n.created_by?.full_name}
      ${new Date(n.created_at).toLocaleDateString("zh-CN")}</span></li>`,
  );
  return html`<h3>整改进展</h3>
    <ul class="list">${items.length ? items : html`<li class="muted">还没有记录</li>`}</ul>
    ${
      can("add_note") &&
      html`<form id="note-form" class="form">
        <label>记录进展<textarea name="text" rows="3" required></textarea></label>
      <button type="submit">保存进展</button></form>`
    }`;
}

function reviewBox() {
  return html`<section class="review-box" id="review-box">
    <h3>审核</h3>
    <form id="close-form" class="form">
      <label>审核意见（可不填）<input name="note"></label>
      <label class="check"><input type="checkbox" name="ongoing"> 长期坚持</label>
      <label>下次复核日期<input type="date" name="next_review_on"></label>
      <button type="submit" class="big-button primary">通过，销号</button>
    </form>
    <form id="return-form" class="form">
      <label>退回理由<textarea name="reason" rows="2"></textarea></label>
      <button type="submit" class="big-button">退回</button>
    </form></section>`;
}

function reviews(p) {
  return (
    p.reviews.length > 0 &&
    html`<h3>审核记录</h3><ul class="list">${p.reviews.map(
      (
        r,
      ) => html`<li>${r.decision === "close" ? "通过销号" : "退回"}${r.reason && `：${r.reason}`}<br>
        <span class="muted">${r.reviewer?.full_name} ${chinaDateTime(r.created_at)}</span></li>`,
    )}</ul>`
  );
}

function page(p) {
  const can = (action) => p.can.includes(action);
  const lastReturn = [...p.reviews].reverse().find((r) => r.decision === "return");
  return html`${tabs("problems")}<div id="problem-view">${heading(p)}
    ${
      p.status === "returned" &&
      lastReturn &&
      html`<p class="message error">审核退回：${lastReturn.reason}</p>`
    }
    ${can("claim") && claimForm(p)}
    ${
      p.steps.length > 0 &&
      html`<h3>整改措施及印证资料</h3><ol class="steps">${p.steps.map((s) => stepBlock(p, s))}</ol>`
    }
    ${
      can("add_step") &&
      html`<form id="step-form" class="inline-form"><input name="description" placeholder="增加一条整改措施"
        aria-label="增加整改措施" required><button type="submit">增加措施</button></form>`
    }
    ${notes(p, can)}
    ${
      can("submit_for_closure") &&
      html`<button type="button" id="submit-closure" class="big-button primary">申请销号</button>`
    }
    ${can("close") && reviewBox()}
    ${
      can("mark_ongoing") &&
      !p.ongoing &&
      html`<form id="ongoing-form" class="inline-form"><input type="date" name="next_review_on"
        aria-label="下次复核日期" required><button type="submit">标记长期坚持</button></form>`
    }
    ${
      can("copy") &&
      html`<button type="button" id="copy-all" class="big-button">举一反三：下发到本镇其他各村</button>`
    }
    ${reviews(p)}</div>`;
}

// Photos need the login, so they are fetched and shown from a blob.
async function thumbnails(root) {
  for (const img of root.querySelectorAll("img[data-file]")) {
    try {
      img.src = URL.createObjectURL(await apiBlob(`/api/v1/files/${img.dataset.file}`));
    } catch {
      img.alt = "照片无法显示";
    }
  }
}

export async function show(ctx, id) {
  ctx.draw(html`${tabs("problems")}<p>正在读取……</p>`);
  try {
    const p = await api(`/api/v1/problems/${encodeURIComponent(id)}`);
    if (!ctx.draw(page(p))) return;
    wire(ctx, p);
    thumbnails(ctx.view);
  } catch (err) {
    ctx.draw(html`<p class="error">${err.message}</p><p><a href="#problems">← 返回列表</a></p>`);
  }
}

// Each action: call the API, show the problem's new state, then say what happened.
function wire(ctx, p) {
  const base = `/api/v1/problems/${p.id}`;
  // Every action carries the version the page shows (If-Match): 412 if it changed since.
  const post = (path, body) => api(`${base}${path}`, { method: "POST", body, guard: true });
  const act = async (promise, done) => {
    try {
      const result = await promise;
      if (result?.id) await show(ctx, result.id);
      ctx.flash(done);
    } catch (err) {
      ctx.flash(err.message, "error");
    }
  };
  const on = (id, handler) =>
    $(id)?.addEventListener("submit", (event) => {
      event.preventDefault();
      handler(new FormData(event.target));
    });

  on("claim-form", (form) => {
    const steps = form
      .get("steps")
      .split("\n")
      .map((s) => s.trim())
      .filter(Boolean);
    const body = { steps };
    if (form.get("deadline")) body.deadline = form.get("deadline");
    act(post("/claim", body), "已认领，您是这个问题的责任人");
  });
  on("step-form", (form) =>
    act(post("/steps", { description: form.get("description") }), "已增加整改措施"),
  );
  on("note-form", (form) => act(post("/notes", { text: form.get("text") }), "进展已保存"));
  on("close-form", (form) => {
    const body = { note: form.get("note") || "", ongoing: form.get("ongoing") === "on" };
    if (form.get("next_review_on")) body.next_review_on = form.get("next_review_on");
    act(post("/close", body), "已审核通过，问题已销号");
  });
  on("return-form", (form) =>
    act(post("/return", { reason: form.get("reason") || "" }), "已退回，责任人会看到退回理由"),
  );
  on("ongoing-form", (form) =>
    act(post("/ongoing", { next_review_on: form.get("next_review_on") }), "已标记长期坚持"),
  );
  $("copy-all")?.addEventListener("click", async () => {
    try {
      const result = await post("/copies", { all_villages: true });
      const skipped = result.skipped.length
        ? `；${result.skipped.map((a) => a.name || a.code).join("、")} 已有此问题，未重复下发`
        : "";
      ctx.flash(`已举一反三，下发到${result.count}个村${skipped}`);
    } catch (err) {
      ctx.flash(err.message, "error");
    }
  });
  $("submit-closure")?.addEventListener("click", () =>
    act(post("/submit-for-closure"), "已申请销号，等待审核"),
  );
  for (const form of ctx.view.querySelectorAll("[data-text-evidence]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = new FormData(form).get("text");
      act(
        post(`/steps/${form.dataset.textEvidence}/evidence`, { kind: "text", text }),
        "文字记录已添加",
      );
    });
  }
  for (const input of ctx.view.querySelectorAll("[data-camera]")) {
    input.addEventListener("change", async () => {
      const file = input.files[0];
      if (!file) return;
      const step = input.dataset.camera;
      const captionForm = ctx.view.querySelector(`[data-caption-form="${step}"]`);
      const caption = captionForm.elements.caption.value.trim();
      // Evidence is named by what it shows: the report lists the caption, not a file name.
      const missing = { field: "caption", message: "请先写明照片拍的是什么，再拍照上传" };
      if (!caption) {
        input.value = "";
        showRefusals(captionForm, { body: { detail: [missing] } });
        ctx.flash(missing.message, "error");
        return;
      }
      clearRefusals(captionForm);
      ctx.flash("正在上传照片……", "");
      const form = new FormData();
      form.append("file", file);
      form.append("area_code", p.area_code);
      form.append("caption", caption);
      try {
        const stored = await api("/api/v1/files", { method: "POST", form });
        const evidence = { kind: "file", file_id: stored.id };
        await act(post(`/steps/${step}/evidence`, evidence), "照片已上传，作为印证资料");
      } catch (err) {
        showRefusals(captionForm, err);
        ctx.flash(err.message, "error");
      }
    });
  }
  for (const form of ctx.view.querySelectorAll("[data-caption-form]")) {
    form.addEventListener("submit", (event) => event.preventDefault());
  }
  for (const button of ctx.view.querySelectorAll("[data-remove]")) {
    button.addEventListener("click", () =>
      act(
        api(`${base}/evidence/${button.dataset.remove}`, { method: "DELETE", guard: true }),
        "已删除这份资料",
      ),
    );
  }
}
