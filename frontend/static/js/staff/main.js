// The staff shell: log in, ask /auth/me once, one router for every section of the desk
// (统计概览, households, 一键报贫, 排查, 部门预警, coverage, 整改销号), logout shared with the field app. Each section
// is a module whose routes draw into the one view; /rectification and /coverage open the
// shell on their own section.

import { bindLoginForm, setToken, token } from "/static/js/lib/api.js";
import { render } from "/static/js/lib/html.js";
import { hashRouter } from "/static/js/lib/router.js";
import { currentUser, forgetCurrentUser, logout } from "/static/js/lib/session.js";
import * as batches from "/static/js/rectification/batches.js";
import * as boards from "/static/js/rectification/boards.js";
import * as problems from "/static/js/rectification/problems.js";
import * as coverage from "/static/js/staff/coverage.js";
import * as dashboard from "/static/js/staff/dashboard.js";
import * as findings from "/static/js/staff/findings.js";
import * as households from "/static/js/staff/households.js";
import * as reports from "/static/js/staff/reports.js";
import * as todo from "/static/js/staff/todo.js";
import * as warnings from "/static/js/staff/warnings.js";

const $ = (id) => document.getElementById(id);
const HOME = { "/rectification": "problems", "/coverage": "coverage", "/dashboard": "dashboard" };
// Who lands on the dashboard: those who watch a township or more. A village's cadres and
// grid workers land on their households; a helper has no statistics to read.
const LANDS_ON_DASHBOARD = new Set(["county_officer", "township_officer", "inspector", "admin"]);
// Who triages department warnings (the server's TRIAGES_WARNINGS).
const TRIAGES_WARNINGS = new Set(["county_officer", "township_officer"]);

// Which tile a route belongs to.
const SECTION = {
  todo: "todo",
  dashboard: "dashboard",
  households: "households",
  household: "households",
  reports: "reports",
  report: "reports",
  "report-numbers": "report-numbers",
  findings: "findings",
  warnings: "warnings",
  coverage: "coverage",
  problems: "problems",
  mine: "problems",
  review: "problems",
  problem: "problems",
  boards: "problems",
  batches: "problems",
};

const shell = { me: null, view: $("view") };

function flash(text, kind = "ok") {
  $("flash").className = `message ${kind}`;
  $("flash").textContent = text;
}

// What every route gets: who is logged in, where to draw, and whether it is still the
// route on screen (a slow answer for a route already left draws nothing).
function context(ticket) {
  return {
    me: shell.me,
    current: ticket.current,
    draw(markup) {
      if (ticket.current()) render(shell.view, markup);
      return ticket.current();
    },
    view: shell.view,
    flash,
    go: (hash) => router.go(hash),
  };
}

const routes = {
  home: (t) => (LANDS_ON_DASHBOARD.has(shell.me.role) ? routes.dashboard(t) : routes.households(t)),
  dashboard: (t, code) => dashboard.show(context(t), code),
  todo: (t) => todo.list(context(t)),
  households: (t, query) => households.list(context(t), query),
  household: (t, id) => households.show(context(t), id),
  reports: (t, query) => reports.list(context(t), query),
  report: (t, id) => reports.show(context(t), id),
  "report-numbers": (t) => reports.numbers(context(t)),
  findings: (t, query) => findings.show(context(t), query),
  warnings: (t, query) => warnings.show(context(t), query),
  coverage: (t) => coverage.show(context(t)),
  problems: (t) => problems.list(context(t), "list"),
  mine: (t) => problems.list(context(t), "mine"),
  review: (t) => problems.list(context(t), "review"),
  problem: (t, id) => problems.show(context(t), id),
  boards: (t) => boards.show(context(t)),
  batches: (t) => batches.show(context(t)),
};

const router = hashRouter(routes, {
  fallback: HOME[location.pathname] || "home",
  before: (route) => {
    flash("");
    const landing = LANDS_ON_DASHBOARD.has(shell.me?.role) ? "dashboard" : "households";
    const section = SECTION[route] || (route === "home" && landing);
    for (const tile of document.querySelectorAll("[data-section]")) {
      tile.classList.toggle("current", tile.dataset.section === section);
    }
  },
});

function show(view) {
  $("login-view").hidden = view !== "login";
  $("app-view").hidden = view === "login";
}

let started = false;

async function start() {
  if (!token()) return show("login");
  try {
    shell.me = await currentUser();
  } catch (err) {
    if (err.status === 401) {
      // An expired login: log in again (the field app's saved households stay for it).
      setToken(null);
      forgetCurrentUser();
      return show("login");
    }
    $("who").textContent = err.message;
    return null;
  }
  const me = shell.me;
  $("who").textContent =
    `${me.full_name} · ${me.role_name}${me.area_name ? ` · ${me.area_name}` : ""}`;
  $("logout").hidden = false;
  document.body.dataset.role = me.role;
  // Helpers watch their own households; coverage is for those who watch an area.
  $("coverage-tile").hidden = me.role === "helper";
  $("dashboard-tile").hidden = me.role === "helper";
  $("warnings-tile").hidden = !TRIAGES_WARNINGS.has(me.role);
  show("app");
  reports.badge();
  todo.badges();
  findings.badge();
  if (started) return router.dispatch();
  started = true;
  return router.start();
}

bindLoginForm($("login-form"), $("login-message"), start);

$("logout").addEventListener("click", async () => {
  await logout();
  history.replaceState(null, "", location.pathname);
  location.reload();
});

start();
