// One way to call the API: the stored token, JSON in and out, errors as Chinese text.

const TOKEN_KEY = "shouwang.token";

export function token() {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) localStorage.setItem(TOKEN_KEY, value);
  else localStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `请求失败(${status})`);
    this.status = status;
    this.body = body;
  }
}

export async function api(path, { method = "GET", body, form, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  const t = token();
  if (t) init.headers.Authorization = `Bearer ${t}`;
  if (form) {
    init.body = form;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, { message: "网络不通,请稍后再试" });
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export async function login(username, password) {
  const form = new URLSearchParams({ username, password });
  const response = await fetch("/api/v1/auth/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: form,
  }).catch(() => null);
  if (!response) throw new ApiError(0, { message: "网络不通,请稍后再试" });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  setToken(data.access_token);
  return data;
}

// The staff login form of a page: says what is happening, then calls onLoggedIn.
export function bindLoginForm(form, message, onLoggedIn) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    message.className = "message";
    message.textContent = "正在登录……";
    try {
      await login(data.get("username"), data.get("password"));
      message.textContent = "";
      onLoggedIn();
    } catch (err) {
      message.className = "message error";
      message.textContent = err.message;
    }
  });
}

export function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);
}

export const NAMES = {
  category: { lifted: "脱贫户", ordinary: "一般农户" },
  monitoring_status: { not_monitored: "未纳入监测", monitored: "监测中", risk_cleared: "风险已消除" },
  monitoring_type: { unstable_lifted: "脱贫不稳定户", marginal: "边缘易致贫户", sudden_hardship: "突发严重困难户" },
  risk: {
    illness: "因病", schooling: "因学", disability: "因残", disaster: "因灾", accident: "因意外事故",
    unstable_employment: "因务工就业不稳", failed_business: "因产业项目失败", housing: "住房安全",
    drinking_water: "饮水安全", other: "其他",
  },
  relation: {
    head: "户主", spouse: "配偶", child: "子女", child_in_law: "儿媳/女婿", grandchild: "孙子女",
    parent: "父母", grandparent: "祖父母", sibling: "兄弟姐妹", other: "其他",
  },
  health: { healthy: "健康", chronic: "长期慢性病", serious_illness: "大病", disabled: "残疾" },
  schooling: {
    not_in_school: "不在校", preschool: "学前", primary: "小学", junior_secondary: "初中",
    senior_secondary: "高中", vocational: "中职/高职", higher: "大学",
  },
  measure: {
    industry: "产业帮扶", employment: "就业帮扶", dibao: "低保", tekun: "特困供养", medical: "医疗保障",
    education: "教育帮扶", microcredit: "小额信贷", public_welfare_job: "公益岗位", housing: "住房保障",
    drinking_water: "饮水保障", insurance: "保险", other: "其他",
  },
  basic_needs: {
    food: "不愁吃", clothing: "不愁穿", education: "义务教育", medical: "基本医疗",
    housing: "住房安全", drinking_water: "饮水安全",
  },
};
