// 整改销号 for officers, inspectors and responsible people: the problem list with overdue
// marks, a problem page (claim, steps, camera evidence, submit), review, boards, reports.

import { api, ApiError, bindLoginForm, esc, setToken, token } from "/static/js/api.js";

const $ = (id) => document.getElementById(id);
const PAGE = 30;
const STATUS = {
  issued: "已下发待认领", claimed: "已认领", in_progress: "整改中",
  submitted_for_closure: "已申请销号", closed: "已销号", returned: "已退回",
};
const CATEGORY = {
  responsibility: "责任落实", monitoring: "监测帮扶", policy: "政策落实", income: "收入",
  basic_needs: "三保障及饮水", living_environment: "人居环境", records: "台账资料",
  village_team: "驻村帮扶", other: "其他",
};
const SEVERITY = { general: "一般", serious: "较重", critical: "严重" };
let me = null;
let offset = 0;
let listMode = "list";

function flash(text, kind = "ok") {
  const el = $("flash");
  el.className = `message ${kind}`;
  el.textContent = text;
}

function failed(err) {
  flash(err instanceof ApiError ? err.message : String(err), "error");
}

function show(view) {
  $("login-view").hidden = view !== "login";
  $("app-view").hidden = view === "login";
}

async function start() {
  if (!token()) return show("login");
  try {
    me = await api("/api/v1/auth/me");
    $("who").textContent = `${me.full_name} · ${me.role_name}`;
    show("app");
    fillAreas();
    route();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      setToken(null);
      return show("login");
    }
    $("who").textContent = err.message;
  }
}

function route() {
  const [view, id] = location.hash.slice(1).split("/");
  for (const name of ["list", "problem", "boards", "batches"]) $(`${name}-view`).hidden = true;
  if (view === "problem" && id) return openProblem(id);
  if (view === "boards") return openBoards();
  if (view === "batches") return openBatches();
  listMode = ["mine", "review"].includes(view) ? view : "list";
  $("list-title").textContent = { list: "问题清单", mine: "我认领的问题", review: "待我审核的问题" }[listMode];
  $("list-view").hidden = false;
  offset = 0;
  loadProblems();
}

// The areas one level below the caller's (villages of a township, townships of a county),
// for the list's area filter and the problem form.
let childAreas = [];
async function fillAreas() {
  if (!me.area_code || me.area_code.length >= 12) return;
  try {
    childAreas = (await api(`/api/v1/areas/${me.area_code}/children`)).data;
    const select = $("area-filter");
    for (const a of childAreas) select.append(new Option(a.name, a.code));
    select.hidden = false;
  } catch (err) {
    /* the filter is a convenience: the list works without it */
  }
}

function statusTag(p) {
  return `<span class="tag status-${p.status}">${esc(p.status_name || STATUS[p.status])}</span>`;
}

function overdueTag(p) {
  if (p.overdue) return `<span class="tag overdue">逾期 ${p.overdue_days} 个工作日</span>`;
  if (p.overdue_days) return `<span class="tag late">逾期完成</span>`;
  if (p.review_due) return `<span class="tag overdue">复核已逾期</span>`;
  return "";
}

async function loadProblems(append = false) {
  const params = new URLSearchParams({ offset, limit: PAGE });
  for (const [key, value] of new FormData($("problem-filter"))) if (value) params.set(key, value);
  if (listMode === "mine") params.set("mine", "true");
  if (listMode === "review") params.set("status", "submitted_for_closure");
  const list = $("problem-list");
  try {
    const page = await api(`/api/v1/problems?${params}`);
    if (!append) list.innerHTML = "";
    $("problem-count").textContent = `共 ${page.count} 个问题`;
    for (const p of page.data) {
      const li = document.createElement("li");
      li.className = p.overdue ? "problem-row is-overdue" : "problem-row";
      li.innerHTML = `<a href="#problem/${p.id}">
        <strong>${p.number}. ${esc(p.title)}</strong><br>
        ${statusTag(p)}${overdueTag(p)}<span class="tag">${esc(p.category_name)}</span>
        ${p.ongoing ? '<span class="tag">长期坚持</span>' : ""}
        <span class="muted">${esc(p.area_name || p.area_code)} · ${esc(p.responsible_unit)}
        ${p.claimed_by ? "· 责任人 " + esc(p.claimed_by.full_name) : p.responsible_person ? "· " + esc(p.responsible_person) : ""}
        · 时限 ${p.deadline}</span></a>`;
      list.append(li);
    }
    offset += page.data.length;
    $("more").hidden = offset >= page.count;
  } catch (err) {
    list.innerHTML = `<li class="error">${esc(err.message)}</li>`;
  }
}

// Photos need the bearer token, so they are fetched and shown from a blob.
async function authorizedBlob(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${token()}` } });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  return response.blob();
}

async function fillThumbnails(root) {
  for (const img of root.querySelectorAll("img[data-file]")) {
    try {
      img.src = URL.createObjectURL(await authorizedBlob(`/api/v1/files/${img.dataset.file}`));
    } catch (err) {
      img.alt = "照片无法显示";
    }
  }
}

function evidenceItem(e, canRemove) {
  const who = e.created_by ? esc(e.created_by.full_name) : "";
  // A file shows its own date (taken, else uploaded): that is what it proves.
  const when = e.file_date
    ? `拍摄/上传于 ${e.file_date}`
    : new Date(e.created_at).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai" });
  const body = e.kind === "file"
    ? (e.content_type && e.content_type.startsWith("image/")
      ? `<img class="evidence-photo" data-file="${e.file_id}" alt="${esc(e.file_name || "照片")}">`
      : `文件:${esc(e.file_name || "文件")}`)
    : `文字记录:${esc(e.text)}`;
  const remove = canRemove && !e.frozen
    ? `<button class="link-button" data-remove="${e.id}">删除</button>` : "";
  return `<li class="evidence">${body}<br><span class="muted">${who} ${when}${e.frozen ? " · 已提交" : ""}</span>${remove}</li>`;
}

function stepBlock(problem, s) {
  const canAdd = problem.can.includes("add_evidence");
  const items = s.evidence.map((e) => evidenceItem(e, canAdd)).join("");
  const missing = s.evidence.length ? "" : '<p class="warn">还没有印证资料</p>';
  const add = canAdd ? `
    <div class="evidence-add" data-step="${s.id}">
      <label class="big-button camera">拍照上传印证资料
        <input type="file" accept="image/*" capture="environment" data-camera="${s.id}" aria-label="拍照:措施${s.position}">
      </label>
      <form class="inline-form" data-text-evidence="${s.id}">
        <input name="text" placeholder="或写文字记录(如会议记录已归档)" aria-label="文字记录:措施${s.position}">
        <button type="submit">添加</button>
      </form>
    </div>` : "";
  return `<li class="step" data-step-id="${s.id}">
    <p><strong>措施${s.position}</strong> ${esc(s.description)}</p>
    <ul class="evidence-list">${items}</ul>${missing}${add}</li>`;
}

async function openProblem(id) {
  const view = $("problem-view");
  view.hidden = false;
  view.innerHTML = "<p>正在读取……</p>";
  let p;
  try {
    p = await api(`/api/v1/problems/${id}`);
  } catch (err) {
    view.innerHTML = `<p class="error">${esc(err.message)}</p><p><a href="#list">← 返回列表</a></p>`;
    return;
  }
  const can = (action) => p.can.includes(action);
  const lastReturn = [...p.reviews].reverse().find((r) => r.decision === "return");
  view.innerHTML = `<p><a href="#list">← 返回列表</a></p>
    <h2>问题${p.number}:${esc(p.title)}</h2>
    <p>${statusTag(p)}${overdueTag(p)}<span class="tag">${esc(p.category_name)}</span>
      <span class="tag">${SEVERITY[p.severity]}</span>${p.ongoing ? `<span class="tag">长期坚持,下次复核 ${p.next_review_on}</span>` : ""}</p>
    <p class="muted">${esc(p.batch_title || "")}</p>
    <p>${esc(p.description)}</p>
    <dl class="facts">
      <dt>地区</dt><dd>${esc(p.area_name || p.area_code)}</dd>
      <dt>责任单位</dt><dd>${esc(p.responsible_unit || "未写明")}</dd>
      <dt>责任人</dt><dd>${p.claimed_by ? esc(p.claimed_by.full_name) : esc(p.responsible_person || "尚未认领")}</dd>
      <dt>整改时限</dt><dd>${p.deadline}</dd>
    </dl>
    ${p.status === "returned" && lastReturn ? `<p class="message error">审核退回:${esc(lastReturn.reason)}</p>` : ""}
    ${can("claim") ? `<form id="claim-form" class="form">
      <h3>认领这个问题</h3>
      <label>整改措施(每行一条)<textarea name="steps" rows="4" required></textarea></label>
      <label>计划完成日期(不晚于 ${p.deadline})<input type="date" name="deadline" max="${p.deadline}"></label>
      <button type="submit" class="big-button primary">认领</button></form>` : ""}
    ${p.steps.length ? `<h3>整改措施及印证资料</h3><ol class="steps">${p.steps.map((s) => stepBlock(p, s)).join("")}</ol>` : ""}
    ${can("add_step") ? `<form id="step-form" class="inline-form"><input name="description" placeholder="增加一条整改措施" aria-label="增加整改措施" required><button type="submit">增加措施</button></form>` : ""}
    <h3>整改进展</h3>
    <ul class="list">${p.notes.map((n) => `<li>${esc(n.text)}<br><span class="muted">${esc(n.created_by ? n.created_by.full_name : "")} ${new Date(n.created_at).toLocaleDateString("zh-CN")}</span></li>`).join("") || '<li class="muted">还没有记录</li>'}</ul>
    ${can("add_note") ? `<form id="note-form" class="form"><label>记录进展<textarea name="text" rows="3" required></textarea></label><button type="submit">保存进展</button></form>` : ""}
    ${can("submit_for_closure") ? '<button id="submit-closure" class="big-button primary">申请销号</button>' : ""}
    ${can("close") ? `<section class="review-box" id="review-box">
      <h3>审核</h3>
      <form id="close-form" class="form">
        <label>审核意见(可不填)<input name="note"></label>
        <label class="check"><input type="checkbox" name="ongoing"> 长期坚持</label>
        <label>下次复核日期<input type="date" name="next_review_on"></label>
        <button type="submit" class="big-button primary">通过,销号</button>
      </form>
      <form id="return-form" class="form">
        <label>退回理由<textarea name="reason" rows="2"></textarea></label>
        <button type="submit" class="big-button">退回</button>
      </form></section>` : ""}
    ${can("mark_ongoing") && !p.ongoing ? `<form id="ongoing-form" class="inline-form"><input type="date" name="next_review_on" aria-label="下次复核日期" required><button type="submit">标记长期坚持</button></form>` : ""}
    ${can("copy") ? '<button id="copy-all" class="big-button">举一反三:下发到本镇其他各村</button>' : ""}
    ${p.reviews.length ? `<h3>审核记录</h3><ul class="list">${p.reviews.map((r) => `<li>${r.decision === "close" ? "通过销号" : "退回"}
      ${r.reason ? ":" + esc(r.reason) : ""}<br><span class="muted">${esc(r.reviewer ? r.reviewer.full_name : "")} ${new Date(r.created_at).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai" })}</span></li>`).join("")}</ul>` : ""}`;
  wireProblem(p);
  fillThumbnails(view);
}

async function act(promise, done) {
  try {
    const result = await promise;
    // Show the new state first, then say what happened, so the message matches the page.
    if (result && result.id) await openProblem(result.id);
    flash(done);
    return result;
  } catch (err) {
    failed(err);
    return null;
  }
}

function wireProblem(p) {
  const base = `/api/v1/problems/${p.id}`;
  const on = (id, handler) => { const el = $(id); if (el) el.addEventListener("submit", (e) => { e.preventDefault(); handler(new FormData(e.target)); }); };
  on("claim-form", (form) => {
    const steps = form.get("steps").split("\n").map((s) => s.trim()).filter(Boolean);
    const body = { steps };
    if (form.get("deadline")) body.deadline = form.get("deadline");
    act(api(`${base}/claim`, { method: "POST", body }), "已认领,您是这个问题的责任人");
  });
  on("step-form", (form) => act(api(`${base}/steps`, { method: "POST", body: { description: form.get("description") } }), "已增加整改措施"));
  on("note-form", (form) => act(api(`${base}/notes`, { method: "POST", body: { text: form.get("text") } }), "进展已保存"));
  on("close-form", (form) => {
    const body = { note: form.get("note") || "", ongoing: form.get("ongoing") === "on" };
    if (form.get("next_review_on")) body.next_review_on = form.get("next_review_on");
    act(api(`${base}/close`, { method: "POST", body }), "已审核通过,问题已销号");
  });
  on("return-form", (form) => act(api(`${base}/return`, { method: "POST", body: { reason: form.get("reason") || "" } }), "已退回,责任人会看到退回理由"));
  on("ongoing-form", (form) => act(api(`${base}/ongoing`, { method: "POST", body: { next_review_on: form.get("next_review_on") } }), "已标记长期坚持"));
  const copy = $("copy-all");
  if (copy) copy.addEventListener("click", async () => {
    try {
      const result = await api(`${base}/copies`, { method: "POST", body: { all_villages: true } });
      const skipped = result.skipped.length
        ? `;${result.skipped.map((a) => a.name || a.code).join("、")} 已有此问题,未重复下发` : "";
      flash(`已举一反三,下发到 ${result.count} 个村${skipped}`);
    } catch (err) {
      failed(err);
    }
  });
  const submit = $("submit-closure");
  if (submit) submit.addEventListener("click", () => act(api(`${base}/submit-for-closure`, { method: "POST" }), "已申请销号,等待审核"));
  for (const form of document.querySelectorAll("[data-text-evidence]")) {
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = new FormData(form).get("text");
      act(api(`${base}/steps/${form.dataset.textEvidence}/evidence`, { method: "POST", body: { kind: "text", text } }), "文字记录已添加");
    });
  }
  for (const input of document.querySelectorAll("[data-camera]")) {
    input.addEventListener("change", async () => {
      const file = input.files[0];
      if (!file) return;
      flash("正在上传照片……", "");
      const form = new FormData();
      form.append("file", file);
      form.append("area_code", p.area_code);
      try {
        const stored = await api("/api/v1/files", { method: "POST", form });
        await act(api(`${base}/steps/${input.dataset.camera}/evidence`, { method: "POST", body: { kind: "file", file_id: stored.id } }), "照片已上传,作为印证资料");
      } catch (err) {
        failed(err);
      }
    });
  }
  for (const button of document.querySelectorAll("[data-remove]")) {
    button.addEventListener("click", () => act(api(`${base}/evidence/${button.dataset.remove}`, { method: "DELETE" }), "已删除这份资料"));
  }
}

function boardTable(entries, columns) {
  if (!entries.length) return '<p class="muted">暂无</p>';
  const head = columns.map(([, label]) => `<th>${label}</th>`).join("");
  const rows = entries.map((e, i) => `<tr><td>${i + 1}</td><td>${esc(e.name)}${e.unit ? `<br><span class="muted">${esc(e.unit)}</span>` : ""}</td>
    ${columns.map(([key]) => `<td>${e[key]}</td>`).join("")}</tr>`).join("");
  return `<table class="board"><tr><th>名次</th><th>名称</th>${head}</tr>${rows}</table>`;
}

async function openBoards(area) {
  const view = $("boards-view");
  view.hidden = false;
  view.innerHTML = "<p>正在读取……</p>";
  try {
    const b = await api(`/api/v1/problems/boards${area ? `?area=${area}` : ""}`);
    const warn = [["overdue", "逾期"], ["returned", "被退回"], ["review_due", "复核逾期"], ["total", "问题数"]];
    const honor = [["closed_on_time_first_review", "按期一次销号"], ["total", "问题数"]];
    const section = (board, cols) => `
      <h4>单位</h4>${boardTable(board.units, cols)}
      <h4>责任人</h4>${boardTable(board.people, cols)}
      ${board.areas.length ? `<h4>下辖地区</h4>${boardTable(board.areas, cols)}` : ""}`;
    const due = b.review_due ? `<p class="error">长期坚持问题中有 ${b.review_due} 个复核已逾期</p>` : "";
    view.innerHTML = `<h2>${esc(b.area_name || "")}红黑榜 <span class="muted">截至 ${b.as_of}</span></h2>${due}
      <section class="board-black"><h3>黑榜(逾期、被退回、复核逾期)</h3>${section(b.warning_board, warn)}</section>
      <section class="board-red"><h3>红榜(按期整改、一次审核通过)</h3>${section(b.honor_board, honor)}</section>`;
  } catch (err) {
    view.innerHTML = `<p class="error">${esc(err.message)}</p>`;
  }
}

async function download(path, name) {
  try {
    flash("正在生成……", "");
    const blob = await authorizedBlob(path);
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    flash(`已下载:${name}`);
  } catch (err) {
    failed(err);
  }
}

async function openBatches() {
  const view = $("batches-view");
  view.hidden = false;
  view.innerHTML = "<p>正在读取……</p>";
  try {
    const page = await api("/api/v1/problem-batches?limit=50");
    const issuer = ["inspector", "county_officer", "township_officer"].includes(me.role);
    const categories = Object.entries(CATEGORY).map(([k, v]) => `<option value="${k}">${v}</option>`).join("");
    const areas = [`<option value="${me.area_code}">${esc(me.area_name || me.area_code)}(本级)</option>`,
      ...childAreas.map((a) => `<option value="${a.code}">${esc(a.name)}</option>`)].join("");
    const newBatch = issuer ? `<details class="issue-box"><summary>下发新的问题清单</summary>
      <form id="batch-form" class="form">
        <label>清单名称<input name="title" required placeholder="如:巩固拓展脱贫攻坚成果调研督查发现问题"></label>
        <label>来源<select name="source"><option value="inspection">督查</option><option value="cross_check">交叉检查</option>
          <option value="assessment">考核评估</option><option value="self_check">自查</option></select></label>
        <label>下发单位<input name="issuing_body"></label>
        <label>通报名称<input name="notice_title"></label>
        <label>文号<input name="document_number" placeholder="如:市农领办发〔2023〕38号"></label>
        <label>下发日期<input type="date" name="issued_on" required></label>
        <label>整改时限<input type="date" name="deadline" required></label>
        <label>报送对象<input name="report_to" placeholder="如:县委农村工作领导小组办公室"></label>
        <label>报告单位<input name="reporting_unit" placeholder="如:会师镇党委、政府"></label>
        <button type="submit" class="big-button primary">下发清单</button>
      </form></details>` : "";
    view.innerHTML = `<h2>问题清单与整改报告</h2>${newBatch}<ul class="list">${page.data.map((b) => `<li>
      <strong>${esc(b.title)}</strong><br>
      <span class="muted">${esc(b.issuing_body)} ${esc(b.document_number)} · 下发 ${b.issued_on} · 时限 ${b.deadline} · ${esc(b.area_name || "")}</span><br>
      共 ${b.counts.total} 个,已销号 ${b.counts.closed},待审核 ${b.counts.submitted_for_closure},未认领 ${b.counts.issued}
      ${b.counts.overdue ? `<span class="tag overdue">逾期 ${b.counts.overdue}</span>` : ""}
      ${b.counts.review_due ? `<span class="tag overdue">复核已逾期 ${b.counts.review_due}</span>` : ""}
      <div class="actions">
        <button data-report="${b.id}">看整改报告</button>
        <button data-docx="${b.id}">下载报告(Word)</button>
        <button data-ledger="${b.id}">下载整改台账(Excel)</button>
      </div>
      ${issuer && b.area_code.startsWith(me.area_code) ? `<form class="inline-form" data-import="${b.id}">
        <input type="file" name="file" accept=".xlsx" aria-label="导入问题清单" required>
        <label class="check"><input type="checkbox" name="partial"> 只导入正确的行</label>
        <button type="submit">导入问题清单</button></form>
      <details class="issue-box"><summary>新增一个问题</summary>
      <form class="form" data-new-problem="${b.id}">
        <label>问题标题<input name="title" required></label>
        <label>问题描述<textarea name="description" rows="3"></textarea></label>
        <label>类别<select name="category">${categories}</select></label>
        <label>地区<select name="area_code">${areas}</select></label>
        <label>责任单位<input name="responsible_unit"></label>
        <label>责任人<input name="responsible_person"></label>
        <label>整改时限(不晚于 ${b.deadline})<input type="date" name="deadline" max="${b.deadline}"></label>
        <button type="submit" class="big-button primary">下发问题</button>
      </form></details>` : ""}
    </li>`).join("") || '<li class="muted">还没有问题清单</li>'}</ul><div id="import-result"></div>`;
    const batchForm = $("batch-form");
    if (batchForm) batchForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = Object.fromEntries(new FormData(batchForm));
      body.area_code = me.area_code;
      try {
        await api("/api/v1/problem-batches", { method: "POST", body });
        await openBatches();
        flash("问题清单已下发");
      } catch (err) { failed(err); }
    });
    view.querySelectorAll("[data-new-problem]").forEach((form) => form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = Object.fromEntries(new FormData(form));
      if (!body.deadline) delete body.deadline;
      try {
        const p = await api(`/api/v1/problem-batches/${form.dataset.newProblem}/problems`, { method: "POST", body });
        flash(`已下发问题${p.number}`);
        form.reset();
      } catch (err) { failed(err); }
    }));
    view.querySelectorAll("[data-report]").forEach((b) => b.addEventListener("click", async () => {
      try {
        const blob = await authorizedBlob(`/api/v1/problem-batches/${b.dataset.report}/report?format=html`);
        window.open(URL.createObjectURL(blob), "_blank");
      } catch (err) { failed(err); }
    }));
    view.querySelectorAll("[data-docx]").forEach((b) => b.addEventListener("click", () =>
      download(`/api/v1/problem-batches/${b.dataset.docx}/report?format=docx`, "整改情况报告.docx")));
    view.querySelectorAll("[data-ledger]").forEach((b) => b.addEventListener("click", () =>
      download(`/api/v1/problem-batches/${b.dataset.ledger}/ledger`, "整改台账.xlsx")));
    view.querySelectorAll("[data-import]").forEach((form) => form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const data = new FormData(form);
      const body = new FormData();
      body.append("file", data.get("file"));
      body.append("mode", data.get("partial") ? "partial" : "all_or_nothing");
      const out = $("import-result");
      try {
        const result = await api(`/api/v1/problem-batches/${form.dataset.import}/import`, { method: "POST", form: body });
        flash(`已导入 ${result.imported} 个问题${result.rejected ? `,${result.rejected} 行有误未导入` : ""}`);
        out.innerHTML = rowAccount(result.rows);
      } catch (err) {
        failed(err);
        out.innerHTML = err.body && Array.isArray(err.body.detail) && err.body.detail[0] && "row" in err.body.detail[0]
          ? rowAccount(err.body.detail) : "";
      }
    }));
  } catch (err) {
    view.innerHTML = `<p class="error">${esc(err.message)}</p>`;
  }
}

function rowAccount(rows) {
  const bad = rows.filter((r) => !r.ok);
  if (!bad.length) return "";
  return `<h3>有误的行</h3><ul class="list">${bad.map((r) => `<li>第 ${r.row} 行:${r.errors.map((e) => `${esc(e.column)} ${esc(e.message)}`).join(";")}</li>`).join("")}</ul>`;
}

bindLoginForm($("login-form"), $("login-message"), start);
$("problem-filter").addEventListener("submit", (event) => {
  event.preventDefault();
  offset = 0;
  loadProblems();
});
$("more").addEventListener("click", () => loadProblems(true));
window.addEventListener("hashchange", () => { flash(""); route(); });
start();
