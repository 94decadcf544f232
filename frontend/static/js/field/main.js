// The field app: my households, a household's card, recording a visit — all of it works
// offline. Visits go to the IndexedDB outbox first (field/outbox.js, on lib/queue.js).
// The app's state is one object handed to each part; nothing else is shared.

import { fieldDb } from "/static/js/field/db.js";
import { loadHouseholds, renderHousehold, renderList } from "/static/js/field/households.js";
import { fieldQueue } from "/static/js/field/outbox.js";
import { createVisitForm } from "/static/js/field/visit-form.js";
import { bindLoginForm, subjectOf, token } from "/static/js/lib/api.js";
import { chinaTime, readableWait } from "/static/js/lib/format.js";
import { html, render } from "/static/js/lib/html.js";
import { hashRouter } from "/static/js/lib/router.js";
import { currentUser, forgetCurrentUser, logout } from "/static/js/lib/session.js";

const $ = (id) => document.getElementById(id);
const VIEWS = ["login-view", "list-view", "household-view", "visit-view", "failed-view"];

const app = { me: null, month: null, households: [], queue: null, screen: 0 };

function say(text, kind = "ok") {
  $("message").className = `message ${kind}`;
  $("message").textContent = text;
}

function show(view) {
  for (const id of VIEWS) $(id).hidden = id !== view;
  window.scrollTo(0, 0);
}

function showLogin(reason = "") {
  $("login-reason").textContent = reason;
  show("login-view");
}

// The sync bar: what waits, when it goes next, what failed, what waits for another account.
async function showCounts() {
  const c = await app.queue.status();
  $("queue-count").textContent = `待发送${c.waiting}条`;
  const soon = c.waiting && c.next_at ? Math.max(0, (c.next_at - Date.now()) / 1000) : null;
  $("queue-next").textContent =
    soon === null || !navigator.onLine ? "" : `约${readableWait(soon)}后自动发送`;
  $("failed-link").hidden = c.failed === 0;
  $("failed-link").textContent = `同步失败${c.failed}条`;
  $("others-count").hidden = c.others === 0;
  $("others-count").textContent = `其他账号的待发送记录${c.others}条（该账号登录后才会发送）`;
  return c;
}

// What a flush did, in one sentence.
function report(r, after) {
  const parts = [];
  if (r.sent) parts.push(`已发送${r.sent}条`);
  if (r.failed) parts.push(`${r.failed}条被拒绝，请在「同步失败」中查看原因`);
  if (r.later) parts.push(`${r.later}条暂时发不出去，稍后自动重试`);
  if (r.login) parts.push("需要重新登录");
  if (r.offline) parts.push(`当前离线，${after.waiting}条保存在手机上，联网后会自动发送`);
  return parts.join("；");
}

// Every flush, whoever started it (a tap, the network coming back, the retry timer), says
// what it did; sent records refresh the list's states.
async function flushed(r) {
  if (!app.me) return;
  const screen = app.screen;
  const after = await showCounts();
  const text = report(r, after);
  // Said on the screen it happened on: a move while the counts were read leaves it unsaid.
  if (text && screen === app.screen) {
    say(text, r.failed || r.later || r.login || r.offline ? "warn" : "ok");
  }
  if (r.sent) {
    await loadHouseholds(app);
    if (!$("list-view").hidden) await renderList(app);
  }
}

app.queue = fieldQueue({
  userId: () => app.me?.id ?? null,
  onChange: () => showCounts(),
  onLogin: () => showLogin("登录已过期，请重新登录；记录仍保存在手机上，登录后会发送"),
  onFlushed: flushed,
});

async function syncNow() {
  if (!app.me) return;
  say("正在发送……");
  const r = await app.queue.flush({ force: true });
  if (r.sent || r.failed || r.later || r.login || r.offline) return; // said by flushed()
  const after = await app.queue.status();
  if (after.waiting) {
    // Only the server's Retry-After holds records back from a tap: say when they go.
    // "约5分钟后" when the server said when; "稍后" alone when it did not (not "约稍后后").
    const soon = after.next_at
      ? `约${readableWait((after.next_at - Date.now()) / 1000)}后`
      : "稍后";
    say(`${after.waiting}条按服务器要求稍后再发（${soon}自动发送）`, "warn");
  } else {
    say(
      after.failed
        ? `没有等待发送的记录；${after.failed}条同步失败，请查看`
        : "没有等待发送的记录，全部已发送",
    );
  }
}

const form = createVisitForm(app, {
  onSaved: async () => {
    await router.go("");
    say(
      navigator.onLine ? "已保存在手机上，正在发送……" : "已保存在手机上（离线），联网后会自动发送",
      navigator.onLine ? "ok" : "warn",
    );
    await showCounts();
    if (navigator.onLine) await app.queue.flush();
  },
});

async function renderFailed() {
  const { items } = await app.queue.status();
  const failed = items.filter((i) => i.state === "failed");
  render(
    $("failed-list"),
    failed.length
      ? html`${failed.map(
          (i) => html`<li data-id="${i.id}">
            <strong>${i.label}</strong> · ${chinaTime(i.payload.visited_at)}
            <p class="error">原因：${i.error?.message}</p>
            <button type="button" data-act="edit">修改</button>
            <button type="button" data-act="resend">重新发送</button>
            <button type="button" data-act="drop">放弃这条</button></li>`,
        )}`
      : html`<li class="muted">没有同步失败的记录</li>`,
  );
}

const router = hashRouter(
  {
    list: () => renderList(app),
    household: (_, id) => renderHousehold(app, id),
    visit: (_, id) => form.open(id),
    edit: async ({ current }, id) => {
      const item = await app.queue.get(id);
      if (!current()) return;
      if (item) form.open(item.payload.household_id, item);
      else router.go("failed");
    },
    failed: () => renderFailed(),
  },
  {
    fallback: "list",
    before: (route) => {
      // A message belongs to the screen it was said on: nothing stale follows a move.
      app.screen += 1;
      say("");
      if (!app.me) return;
      const view = { list: "list-view", household: "household-view", failed: "failed-view" };
      show(view[route] || "visit-view");
    },
  },
);

// Offline, the saved account is trusted only if the token was issued to it: after a user
// switch it is someone else, and their visits must not be recorded as ours.
async function whoAmI() {
  try {
    const me = await currentUser();
    if (me) await fieldDb.put("meta", { key: "me", value: me });
    return me;
  } catch (err) {
    if (err.status === 401) return null;
    const cached = (await fieldDb.get("meta", "me"))?.value;
    return cached && cached.id === subjectOf(token()) ? cached : null;
  }
}

let started = false;

async function start() {
  $("logout").hidden = true;
  app.me = token() ? await whoAmI() : null;
  if (!app.me) {
    await showCounts();
    showLogin(token() ? "请登录" : "");
    return;
  }
  $("who").textContent = app.me.full_name;
  $("who").title = `${app.me.full_name} · ${app.me.role_name}`;
  $("logout").hidden = false;
  await loadHouseholds(app);
  if (started) await router.dispatch();
  else await router.start();
  started = true;
  await app.queue.flush();
}

bindLoginForm($("login-form"), $("login-message"), async () => {
  // Whoever was logged in before is forgotten; the new account is read from the server.
  forgetCurrentUser();
  await fieldDb.remove("meta", "me");
  await start();
});

$("logout").addEventListener("click", async () => {
  app.me = null;
  app.households = [];
  render($("household-list"), "");
  render($("household-view"), "");
  $("who").textContent = "";
  await logout();
  history.replaceState(null, "", location.pathname);
  const c = await showCounts();
  showLogin();
  say(
    c.others
      ? `已退出；本机还有${c.others}条待发送记录，原账号登录后会发送`
      : "已退出，本机上的走访户资料已清除",
  );
});

$("failed-list").addEventListener("click", async (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  const id = button.closest("li").dataset.id;
  if (button.dataset.act === "edit") location.hash = `edit/${id}`;
  if (button.dataset.act === "resend") {
    await app.queue.retry(id);
    await syncNow();
    await renderFailed();
  }
  if (button.dataset.act === "drop" && confirm("确定放弃这条走访记录？放弃后不能恢复。")) {
    await app.queue.remove(id);
    say("已放弃这条记录");
    await renderFailed();
  }
});

$("sync-now").addEventListener("click", () => syncNow());

// The outbox core flushes on open, `online`, visibility and the worker's wake-up, and keeps
// a timer for every waiting record; the page only has to say who is logged in.
app.queue.start();
start();
