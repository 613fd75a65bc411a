// The calculator page: a profile form that asks only what matters, over the JSON API.
// Start from a few facts; after each answer POST /api/match and ask next for the facts that
// settle the most "unknown" measures. The profile lives in the page and the share link only.
"use strict";

const STARTERS = {
  enterprise: ["facts.registered_in_tianjin", "facts.industry", "facts.enterprise_size", "facts.employees", "yearly.revenue.-1", "yearly.rd_expense.-1", "facts.national_high_tech"],
  person: ["facts.birth_date", "facts.education", "facts.skill_level", "facts.professional_title", "facts.employed_in_tianjin"],
  institution: ["facts.registered_in_tianjin"],
};
const SHOWN_PER_GROUP = 8; // the results worth most come first; the rest fold away
const STATUS = { eligible: "符合", unknown: "待补充信息", ineligible: "不符合", expired: "已失效", not_yet_in_force: "尚未施行" };

const state = { subject: "enterprise", name: "", facts: {}, yearly: {}, asked: [], specs: {}, timer: null, last: null };
const $ = (sel) => document.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function yuan(v) {
  if (v === null || v === undefined) return "未知";
  const text = "¥" + Number(v).toLocaleString("zh-CN", { maximumFractionDigits: 2 });
  return Math.abs(v) >= 10000 ? `${text}（${+(v / 10000).toFixed(4)}万元）` : text;
}

function amountText(r) {
  const per = r.per_label ? " " + r.per_label : "";
  if (r.amount_yuan !== null) return yuan(r.amount_yuan) + per;
  if (r.amount_max_yuan !== null) return (r.amount_min_yuan ? `${yuan(r.amount_min_yuan)} 至 ` : "最高 ") + yuan(r.amount_max_yuan) + per;
  if (r.per) return "金额待定：请补充下列信息";
  return r.benefit || "—";
}

function asOfYear() {
  return Number(($("#as-of").value || new Date().toISOString()).slice(0, 4));
}

// "yearly.revenue.-1" -> "yearly.revenue.2025" for the chosen date
function resolvePath(path) {
  const parts = path.split(".");
  if (parts[0] === "yearly" && parts[2].startsWith("-")) parts[2] = String(asOfYear() + Number(parts[2]));
  return parts.join(".");
}

function getValue(path) {
  const [section, name, year] = path.split(".");
  return section === "yearly" ? (state.yearly[name] || {})[year] : state.facts[name];
}

function setValue(path, value) {
  const [section, name, year] = path.split(".");
  if (section === "yearly") {
    state.yearly[name] = state.yearly[name] || {};
    if (value === null) delete state.yearly[name][year];
    else state.yearly[name][year] = value;
    if (!Object.keys(state.yearly[name]).length) delete state.yearly[name];
  } else if (value === null) delete state.facts[name];
  else state.facts[name] = value;
}

function fieldLabel(path) {
  const [section, name, year] = path.split(".");
  const spec = state.specs[name];
  const label = spec ? spec.label : name;
  return section === "yearly" ? `${label}（${year}年）` : label;
}

function buildField(path) {
  const name = path.split(".")[1];
  const spec = state.specs[name] || { type: "text", label: name };
  const id = "f-" + path.replace(/[^a-zA-Z0-9_-]/g, "_");
  const current = getValue(path);
  const wrapper = el("div", { class: "field", "data-path": path });
  const label = el("label", { for: id }, el("span", { class: "name", text: fieldLabel(path) }));
  let input;
  if (spec.type === "bool" || spec.type === "enum") {
    input = el("select", { id });
    input.append(el("option", { value: "", text: "未填写" }));
    const options = spec.type === "bool" ? [["true", "是"], ["false", "否"]] : (spec.values || []).map((v) => [v, (spec.value_labels || {})[v] || v]);
    for (const [value, text] of options) input.append(el("option", { value, text, selected: current !== undefined && String(current) === value }));
  } else if (spec.type === "date") {
    input = el("input", { id, type: "date", value: current || "" });
  } else if (spec.type === "money") {
    input = el("input", { id, type: "number", inputmode: "decimal", step: "any", min: spec.signed ? null : "0", value: current !== undefined ? current / 10000 : "", "aria-describedby": id + "-echo" });
    label.append(el("span", { class: "hint", text: "单位：万元" }));
  } else if (["number", "integer", "ratio"].includes(spec.type)) {
    const ratio = spec.type === "ratio";
    input = el("input", { id, type: "number", inputmode: "decimal", step: spec.type === "integer" ? "1" : "any", min: spec.signed ? null : "0", value: current !== undefined ? (ratio ? current * 100 : current) : "" });
    if (ratio || spec.unit) label.append(el("span", { class: "hint", text: "单位：" + (ratio ? "%" : spec.unit) }));
  } else {
    input = el("input", { id, type: "text", maxlength: "100", value: current || "" });
  }
  label.append(input);
  wrapper.append(label, el("span", { class: "echo", id: id + "-echo" }), el("span", { class: "err", role: "alert" }));
  input.addEventListener("change", () => onInput(path, spec, input, wrapper));
  if (spec.type === "money") input.addEventListener("input", () => echoMoney(input, wrapper));
  echoMoney(input, wrapper, spec);
  return wrapper;
}

function echoMoney(input, wrapper, spec) {
  const echo = wrapper.querySelector(".echo");
  if (input.type !== "number" || !input.closest(".field")) return;
  const name = wrapper.dataset.path.split(".")[1];
  if ((spec || state.specs[name] || {}).type !== "money") return;
  echo.textContent = input.value === "" ? "" : "= " + yuan(Number(input.value) * 10000);
}

function parseInput(spec, input) {
  const raw = input.value.trim();
  if (raw === "") return { value: null };
  if (spec.type === "bool") return { value: raw === "true" };
  if (spec.type === "money" || ["number", "integer", "ratio"].includes(spec.type)) {
    let n = Number(raw);
    if (!Number.isFinite(n)) return { error: "请输入数字" };
    if (n < 0 && !spec.signed) return { error: "不能为负数" };
    if (spec.type === "money") n = Math.round(n * 10000 * 100) / 100;
    if (spec.type === "ratio") n = n / 100;
    if (spec.type === "integer" && !Number.isInteger(n)) return { error: "请输入整数" };
    return { value: n };
  }
  return { value: raw };
}

function onInput(path, spec, input, wrapper) {
  const parsed = parseInput(spec, input);
  wrapper.classList.toggle("error", !!parsed.error);
  wrapper.querySelector(".err").textContent = parsed.error || "";
  if (parsed.error) return;
  setValue(path, parsed.value);
  schedule();
}

function renderFields() {
  const box = $("#fields");
  box.replaceChildren(...STARTERS[state.subject].map(resolvePath).concat(state.asked).map(buildField));
}

// #results is aria-busy from an answer until the results for it are on the page (screen readers, tests).
function schedule() {
  clearTimeout(state.timer);
  $("#results").setAttribute("aria-busy", "true");
  state.timer = setTimeout(() => { state.timer = null; run(); }, 250);
}

function profile() {
  const p = { subject: state.subject, facts: state.facts, yearly: state.yearly };
  if (state.name) p.name = state.name;
  return p;
}

async function post(url, body) {
  const response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!response.ok) {
    const data = await response.json().catch(() => ({}));
    const detail = Array.isArray(data.detail) ? data.detail.map((d) => `${d.loc.slice(2).join(".")}：${d.msg}`).join("；") : data.detail;
    throw new Error(detail || `请求失败（${response.status}）`);
  }
  return response;
}

// Answers are sent as they are typed: only the response to the latest one may reach the page, even when
// an earlier, slower response arrives after it.
let latestRun = 0;

async function run() {
  const ticket = ++latestRun;
  try {
    const response = await post("/api/match", { profile: profile(), as_of: $("#as-of").value || null, detail: "summary" });
    const data = await response.json();
    if (ticket !== latestRun) return;
    state.last = data;
    render(data);
  } catch (error) {
    if (ticket === latestRun) $("#totals").textContent = "无法计算：" + error.message;
  }
  if (ticket === latestRun && !state.timer) $("#results").setAttribute("aria-busy", "false");
}

function render(data) {
  const counts = {};
  for (const r of data.results) counts[r.status] = (counts[r.status] || 0) + 1;
  const totals = $("#totals");
  totals.replaceChildren(
    el("div", {}, "可确定金额合计 ", el("strong", { id: "total", text: yuan(data.total_yuan) })),
    el("div", { class: "muted", text: `含区间上限：${yuan(data.total_max_yuan)} · ` + Object.entries(counts).map(([s, n]) => `${STATUS[s]} ${n} 项`).join("，") }),
  );
  for (const a of data.adjustments) totals.append(el("div", { class: "muted", text: a.detail }));
  renderNext(data.next_questions || []);
  renderChart(data.results.filter((r) => r.status === "eligible" && (r.amount_yuan || r.amount_max_yuan)));
  const box = $("#results");
  box.replaceChildren();
  const groups = [
    ["eligible", "符合条件", (r) => r.status === "eligible", true],
    ["unknown", "还需补充信息", (r) => r.status === "unknown", true],
    ["near", "差一点就符合", (r) => r.status === "ineligible" && r.near_misses.length, true],
    ["ineligible", "不符合", (r) => r.status === "ineligible" && !r.near_misses.length, false],
    ["expired", "已失效或尚未施行", (r) => r.status === "expired" || r.status === "not_yet_in_force", false],
  ];
  for (const [key, title, test, open] of groups) {
    const items = data.results.filter(test);
    if (!items.length) continue;
    const section = el("details", { class: "group", id: "group-" + key, open });
    section.append(el("summary", { class: "group-title" }, el("strong", { text: `${title}（${items.length}）` })));
    for (const r of items.slice(0, SHOWN_PER_GROUP)) section.append(resultCard(r));
    if (items.length > SHOWN_PER_GROUP) {
      const rest = el("details", { class: "more" }, el("summary", { text: `显示其余 ${items.length - SHOWN_PER_GROUP} 项` }));
      for (const r of items.slice(SHOWN_PER_GROUP)) rest.append(resultCard(r));
      section.append(rest);
    }
    box.append(section);
  }
}

function resultCard(r) {
  const card = el("article", { class: "result", "data-measure": r.measure_id });
  card.append(
    el("h3", {}, el("a", { href: "/measures/" + encodeURIComponent(r.measure_id), text: r.title }), " ", el("span", { class: "badge status-" + r.status, text: STATUS[r.status] })),
    el("div", { class: "amount", text: amountText(r) }),
  );
  if (r.discretionary) card.append(el("div", { class: "muted", text: "酌定：" + r.discretionary + "，具体金额由主管部门确定" }));
  if (r.missing_labels.length) card.append(el("div", { class: "muted", text: "需补充：" + r.missing_labels.join("、") }));
  for (const hint of r.near_misses) card.append(el("div", { class: "note", text: hint }));
  for (const note of r.notes) card.append(el("div", { class: "muted", text: note }));
  const s = r.source;
  card.append(el("div", { class: "cite" }, "依据：", el("a", { href: `/documents/${encodeURIComponent(s.provision_id.split("/")[0])}#p-${encodeURIComponent(s.provision_id)}`, text: `${s.doc_title}${s.doc_number ? "（" + s.doc_number + "）" : ""} ${s.label}` }), `：“${s.quote}”`));
  const how = el("details", {}, el("summary", { text: "计算过程" }));
  how.addEventListener("toggle", () => { if (how.open && !how.dataset.loaded) loadTrace(how, r); });
  card.append(how);
  return card;
}

// The trace of one measure is fetched when its "计算过程" is opened: the match response leaves it out.
async function loadTrace(how, r) {
  how.dataset.loaded = "1";
  try {
    const response = await post("/api/explain", { profile: profile(), as_of: $("#as-of").value || null, measure_id: r.measure_id });
    const data = await response.json();
    const list = el("ol", { class: "trace" });
    for (const step of data.trace) {
      const mark = step.kind === "condition" ? ({ true: "✓ ", false: "✗ ", null: "? " })[String(step.value)] : "· ";
      list.append(el("li", { text: mark + step.label + (step.detail ? "：" + step.detail : "") }));
    }
    how.append(list);
    if (r.department || r.window) how.append(el("p", { class: "muted", text: `受理：${r.department || ""} ${r.window || ""} ${r.contact || ""}` }));
  } catch (error) {
    how.append(el("p", { class: "err", text: "无法载入计算过程：" + error.message }));
  }
}

function renderNext(questions) {
  const fresh = questions.map((q) => q.path).filter((p) => !state.asked.includes(p) && !STARTERS[state.subject].map(resolvePath).includes(p));
  const title = $("#next-title");
  const box = $("#next-fields");
  box.replaceChildren(...fresh.map((path) => {
    const field = buildField(path);
    const q = questions.find((x) => x.path === path);
    field.querySelector("label").append(el("span", { class: "hint", text: `可确定 ${q.measures.length} 项措施` }));
    field.querySelector("select, input").addEventListener("change", () => { if (!state.asked.includes(path)) state.asked.push(path); }, { once: true });
    return field;
  }));
  title.hidden = fresh.length === 0;
}

function renderChart(items) {
  const box = $("#chart");
  if (!items.length) { box.replaceChildren(); return; }
  const top = items.map((r) => ({ label: r.title, value: r.amount_yuan ?? r.amount_max_yuan, range: r.amount_yuan === null }))
    .sort((a, b) => b.value - a.value).slice(0, 10);
  const max = Math.max(...top.map((t) => t.value));
  const ns = "http://www.w3.org/2000/svg";
  const rowH = 28, width = 640, labelW = 250;
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${top.length * rowH + 8}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "各项措施金额");
  top.forEach((t, i) => {
    const y = i * rowH + 4;
    const text = document.createElementNS(ns, "text");
    text.setAttribute("x", "0"); text.setAttribute("y", String(y + 18)); text.setAttribute("font-size", "12");
    text.textContent = t.label.length > 18 ? t.label.slice(0, 17) + "…" : t.label;
    const bar = document.createElementNS(ns, "rect");
    const w = Math.max(2, (width - labelW - 110) * t.value / max);
    bar.setAttribute("x", String(labelW)); bar.setAttribute("y", String(y + 4)); bar.setAttribute("height", "18");
    bar.setAttribute("width", String(w)); bar.setAttribute("fill", t.range ? "#f0a59f" : "#b3261e");
    const value = document.createElementNS(ns, "text");
    value.setAttribute("x", String(labelW + w + 6)); value.setAttribute("y", String(y + 18)); value.setAttribute("font-size", "12");
    value.textContent = (t.range ? "最高 " : "") + (t.value >= 10000 ? `${+(t.value / 10000).toFixed(2)}万` : `${t.value}元`);
    svg.append(text, bar, value);
  });
  box.replaceChildren(el("h2", { text: "金额一览" }), svg);
  box.classList.add("chart");
}

async function download(kind) {
  try {
    const response = await post(`/api/export/${kind}`, { profile: profile(), as_of: $("#as-of").value || null });
    const blob = await response.blob();
    const link = el("a", { href: URL.createObjectURL(blob), download: `huiqi-result.${kind}` });
    document.body.append(link);
    link.click();
    link.remove();
  } catch (error) {
    $("#share-status").textContent = "导出失败：" + error.message;
  }
}

function shareLink() {
  const payload = JSON.stringify({ p: profile(), d: $("#as-of").value, a: state.asked });
  const encoded = btoa(String.fromCharCode(...new TextEncoder().encode(payload))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `${location.origin}/calculator#p=${encoded}`;
}

function loadFromHash() {
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("s") && STARTERS[hash.get("s")]) state.subject = hash.get("s");
  const encoded = hash.get("p");
  if (!encoded) return;
  try {
    const bytes = Uint8Array.from(atob(encoded.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
    const data = JSON.parse(new TextDecoder().decode(bytes));
    state.subject = data.p.subject;
    state.name = data.p.name || "";
    state.facts = data.p.facts || {};
    state.yearly = data.p.yearly || {};
    state.asked = data.a || [];
    if (data.d) $("#as-of").value = data.d;
  } catch (error) {
    $("#totals").textContent = "分享链接无法解析，已从空白档案开始。";
  }
}

async function init() {
  const specs = await (await fetch("/api/facts")).json();
  for (const spec of specs) state.specs[spec.name] = spec;
  loadFromHash();
  document.querySelector(`input[name=subject][value=${state.subject}]`).checked = true;
  $("#subject-name").value = state.name;
  for (const radio of document.querySelectorAll("input[name=subject]")) {
    radio.addEventListener("change", () => {
      Object.assign(state, { subject: radio.value, facts: {}, yearly: {}, asked: [] });
      renderFields();
      schedule();
    });
  }
  $("#as-of").addEventListener("change", () => { renderFields(); schedule(); });
  $("#subject-name").addEventListener("change", (e) => { state.name = e.target.value.trim(); });
  $("#export-pdf").addEventListener("click", () => download("pdf"));
  $("#export-xlsx").addEventListener("click", () => download("xlsx"));
  $("#share").addEventListener("click", async () => {
    const link = shareLink();
    history.replaceState(null, "", link);
    try { await navigator.clipboard.writeText(link); $("#share-status").textContent = "链接已复制"; }
    catch { $("#share-status").textContent = "链接已放在地址栏，可直接复制"; }
  });
  renderFields();
  run();
}

init();
