// The operator console: one page over the configuration routes. Every value that came
// from Autotask or Acronis is put into the page as text (textContent), never as HTML.
"use strict";

const TOKEN_KEY = "bridge-console-token";
const TABS = ["credentials", "settings", "services", "customers", "alerts", "jobs", "plan",
  "tickets", "audit", "forecast"];
const LABELS = { credentials: "Credentials", settings: "Settings", services: "Service mapping",
  customers: "Customer mapping", alerts: "Alert mapping", jobs: "Jobs", plan: "Plan",
  tickets: "Tickets", audit: "Audit log", forecast: "Deletion forecast" };

/** An element with attributes and children; strings become text nodes. */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== false && v !== null && v !== undefined) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const text = (v) => (v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
const table = (heads, rows) => el("table", {}, el("tr", {}, heads.map((h) => el("th", {}, h))),
  rows.map((r) => el("tr", {}, r.map((c) => el("td", {}, c instanceof Node ? c : text(c))))));
const status = (msg, cls) => { const s = document.getElementById("status"); s.textContent = msg; s.className = cls || ""; };

/** Calls the API with the tab's token; answers {status, body}. */
async function api(method, path, body, extra) {
  const headers = { Authorization: "Bearer " + sessionStorage.getItem(TOKEN_KEY), ...(extra || {}) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  try { data = await res.json(); } catch (_) { data = { error: "answer was not JSON (" + res.status + ")" }; }
  if (res.status === 401) { sessionStorage.removeItem(TOKEN_KEY); showLogin("The token was refused."); }
  return { status: res.status, body: data };
}

/** The API's error, with every field it names, as a list. */
function errorBox(answer) {
  const b = answer.body || {};
  return el("div", { class: "error", "data-status": answer.status },
    el("p", {}, "Error " + answer.status + ": " + text(b.error)),
    el("ul", {}, (b.errors || []).map((e) => el("li", { class: "field-error", "data-field": e.field }, e.field + ": " + e.message))));
}

function showLogin(msg) {
  document.getElementById("login").hidden = false;
  document.getElementById("tabs").hidden = true;
  document.getElementById("view").hidden = true;
  if (msg) status(msg, "error");
}

async function show(tab) {
  for (const b of document.querySelectorAll("#tabs button")) b.setAttribute("aria-selected", b.dataset.tab === tab);
  const view = document.getElementById("view");
  view.replaceChildren(el("h2", {}, LABELS[tab]));
  view.dataset.tab = "";
  status("");
  try { await RENDER[tab](view); } catch (e) { view.append(el("p", { class: "error" }, String(e))); }
  view.dataset.tab = tab;
  refreshPause();
}

// ---- pause / resume, in the header --------------------------------------------------
async function refreshPause() {
  const box = document.getElementById("pause");
  const a = await api("GET", "/jobs");
  if (a.status !== 200) return;
  const p = a.body.pause || {};
  const act = p.paused
    ? el("button", { id: "resume", onclick: async () => {
      const r = await api("POST", "/resume", {}); if (r.status !== 200) status(text(r.body.error), "error"); refreshPause(); } }, "Resume")
    : el("button", { id: "pause-button", onclick: async () => {
      const reason = prompt("Pause every job (each run becomes a dry run). Reason:");
      if (!reason) return;
      const r = await api("POST", "/pause", { reason: reason.slice(0, 500) });
      if (r.status !== 200) status(text(r.body.error), "error"); refreshPause(); } }, "Pause");
  box.replaceChildren(p.paused ? el("span", { class: "paused" }, "PAUSED by " + text(p.by) + ": " + text(p.reason) + " ") : "Jobs write ", act);
}

// ---- one JSON document edited in sections, saved with its version ---------------------
/** Editors for `keys` of the document at `path`; the other sections go back as read (a
 *  PUT replaces the whole document). A 400 shows each field error under its section, a
 *  409 shows the current document beside the edit. */
async function documentEditor(view, path, keys) {
  const a = await api("GET", path);
  if (a.status !== 200) { view.append(errorBox(a)); return; }
  let version = a.body.version;
  let base = a.body;
  const areas = {};
  const errs = {};
  const form = el("form", { id: "doc-form" });
  for (const k of keys) {
    const json = JSON.stringify(a.body[k], null, 2);
    areas[k] = el("textarea", { name: k, "data-section": k, spellcheck: "false", maxlength: 1000000, rows: Math.min(30, json.split("\n").length + 1) }, json);
    errs[k] = el("div", { class: "section-errors" });
    form.append(el("fieldset", {}, el("legend", {}, k), areas[k], errs[k]));
  }
  const result = el("div", { id: "save-result" });
  form.append(el("button", { type: "submit" }, "Save"), result);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = Object.assign({}, base, { version });
    for (const k of keys) {
      try { body[k] = JSON.parse(areas[k].value); } catch (e) {
        errs[k].replaceChildren(el("p", { class: "field-error", "data-field": k }, k + ": not JSON (" + e.message + ")")); return;
      }
    }
    for (const k of keys) errs[k].replaceChildren();
    const r = await api("PUT", path, body);
    if (r.status === 200) {
      version = r.body.version;
      base = body;
      result.replaceChildren(el("p", { class: "ok" }, "Saved (version " + version + ")."),
        (r.body.warnings || []).map((w) => el("p", { class: "skip" }, text(w))));
    } else if (r.status === 409 && r.body.current_version !== undefined) {
      result.replaceChildren(el("div", { class: "conflict" },
        el("p", {}, "Conflict: someone saved version " + r.body.current_version + " since you read version " + version + ". Your edit is still in the boxes above; the document now is:"),
        el("pre", {}, JSON.stringify(r.body.current, null, 2)),
        el("button", { type: "button", onclick: () => { version = r.body.current_version; base = r.body.current; result.replaceChildren(el("p", {}, "Your edit will now replace version " + version + ".")); } }, "Keep my edit and save over it")));
    } else {
      result.replaceChildren(errorBox(r));
      for (const e of r.body.errors || []) {
        const k = keys.find((k) => e.field === k || e.field.startsWith(k + ".") || e.field.startsWith(k + "["));
        if (k) errs[k].append(el("p", { class: "field-error", "data-field": e.field }, e.field + ": " + e.message));
      }
    }
  });
  view.append(form);
  return a.body;
}

// ---- the tabs --------------------------------------------------------------------------
const RENDER = {
  async credentials(view) {
    const a = await api("GET", "/credentials");
    if (a.status !== 200) { view.append(errorBox(a)); return; }
    const at = a.body.autotask || {}, ac = a.body.acronis || {};
    view.append(table(["API", "set", "who", "saved at", "more"], [
      ["Autotask", at.set ? "yes" : "no", at.username, at.saved_at, text(a.body.autotask && a.body.autotask.database)],
      ["Acronis", ac.set ? "yes" : "no", ac.client_id, ac.saved_at, ac.datacenter_url]]));
    const form = (title, route, fields) => {
      const out = el("div", { class: "save-result" });
      const inputs = fields.map(([name, type]) => el("input", { name, type, maxlength: 500, autocomplete: "off" }));
      const f = el("form", { id: "cred-" + title.toLowerCase() }, el("fieldset", {}, el("legend", {}, "Save " + title + " credentials"),
        inputs.map((i) => el("label", {}, i.name + " ", i, " ")), el("button", { type: "submit" }, "Check and save"), out));
      f.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const body = {};
        for (const i of inputs) body[i.name] = i.value;
        out.replaceChildren("Checking…");
        const r = await api("PUT", route, body);
        out.replaceChildren(r.status === 200 ? el("p", { class: "ok" }, "Saved.") : errorBox(r));
      });
      return f;
    };
    view.append(form("Autotask", "/credentials/autotask", [["username", "text"], ["secret", "password"], ["integration_code", "password"]]),
      form("Acronis", "/credentials/acronis", [["datacenter_url", "url"], ["client_id", "text"], ["client_secret", "password"]]));
  },

  async settings(view) {
    const a = await api("GET", "/settings");
    if (a.status !== 200) { view.append(errorBox(a)); return; }
    const keys = Object.keys(a.body).filter((k) => k !== "version" && !k.endsWith("_mappings"));
    view.append(el("p", { class: "hint" }, "Each section of the guide (defaults shown until the first save). Mappings have their own tabs."));
    await documentEditor(view, "/settings", keys);
  },

  async services(view) {
    const a = await api("GET", "/service-mappings");
    if (a.status !== 200) { view.append(errorBox(a)); return; }
    const byItem = {};
    for (const m of a.body.service_mappings || []) (byItem[m.offering_item] = byItem[m.offering_item] || []).push(m);
    const service = (m) => (m.service && m.service.id !== undefined ? "service " + m.service.id : text(m.service));
    const rows = [];
    for (const g of (a.body.catalog && a.body.catalog.groups) || []) {
      for (const item of g.items || []) {
        const mapped = byItem[item.offering_item] || [];
        rows.push([g.label, item.label, el("code", {}, item.offering_item), item.unit,
          mapped.some((m) => m.free) ? "Free" : item.free_applies ? "(Free possible)" : "",
          mapped.length ? mapped.map(service).join(", ") : "not mapped"]);
      }
    }
    if (rows.length) view.append(table(["group", "offering item", "code", "unit", "Free", "Autotask service"], rows));
    view.append(el("p", { class: "hint" }, "A service is {\"id\": N} or {\"create\": \"name\"} (created with the allocation code and period type of the settings)."));
    await documentEditor(view, "/service-mappings", ["service_mappings", "storage_mappings", "public_cloud_mappings"]);
  },

  async customers(view) {
    const search = el("input", { id: "search", type: "search", maxlength: 100, placeholder: "company name contains" });
    const filter = el("select", { id: "filter" }, ["all", "mapped", "unmapped", "skipped", "held", "conflict"].map((f) => el("option", { value: f }, f)));
    // Autotask's companyType values the sources agree on; others by number.
    const type = el("select", { id: "type" }, [["", "any type"], ["1", "Customer"], ["2", "Lead"], ["3", "Prospect"], ["4", "Dead"]]
      .map(([v, l]) => el("option", { value: v }, l)));
    const list = el("div", { id: "accounts" });
    const load = async (token, append) => {
      const mapped = ["skipped", "held"].includes(filter.value) ? "mapped" : filter.value === "conflict" ? "all" : filter.value;
      const q = new URLSearchParams({ mapped, limit: "100" });
      if (search.value) q.set("search", search.value);
      if (type.value) q.set("type", type.value);
      if (token) q.set("page_token", token);
      const a = await api("GET", "/accounts?" + q);
      if (a.status !== 200) { list.replaceChildren(errorBox(a)); return; }
      let items = a.body.items;
      if (filter.value === "skipped") items = items.filter((c) => skipReason(c));
      if (filter.value === "held") items = items.filter((c) => c.mapping && c.mapping.held);
      if (filter.value === "conflict") items = items.filter((c) => (c.contract_conflicts || []).length);
      const t = table(["id", "company", "type", "tenant", "state", "actions"], items.map(accountRow));
      const more = a.body.next_page_token ? el("button", { onclick: () => load(a.body.next_page_token, true) }, "More") : null;
      if (append) list.append(t, more || ""); else list.replaceChildren(t, more || "");
      for (const u of a.body.unavailable || []) list.append(el("p", { class: "skip" }, text(u)));
    };
    const accountRow = (c) => {
      const m = c.mapping;
      const tenantInput = el("input", { class: "tenant-id", maxlength: 64, placeholder: "tenant id", size: 38 });
      const out = el("span", { class: "row-result" });
      const done = async (r) => { if (r.status === 200) await load(); else out.replaceChildren(errorBox(r)); };
      // A change is made only if the mapping is still what this page shows (412 otherwise).
      const asRead = m ? { "If-Match": '"' + m.tenant_id + '"' } : { "If-None-Match": "*" };
      const actions = [tenantInput,
        el("button", { class: "map", onclick: async () => {
          if (!tenantInput.value.trim()) return;
          if (m && !confirm("Company " + c.company_id + " (" + c.company_name + ") is mapped to tenant " + m.tenant_id + ". Map it to " + tenantInput.value.trim() + " instead?")) return;
          done(await api("PUT", "/customer-mappings/" + c.company_id, { tenant_id: tenantInput.value.trim() }, asRead));
        } }, "Map")];
      if (!m) actions.push(el("button", { class: "new-tenant", onclick: async () => {
        if (!confirm("Create a new Acronis customer tenant for company " + c.company_id + " (" + c.company_name + "), with its admin user and activation email, and map it?")) return;
        done(await api("PUT", "/customer-mappings/" + c.company_id, { new_tenant: true }, asRead));
      } }, "New tenant"));
      else actions.push(el("button", { class: "unmap", onclick: async () => {
        if (!confirm("Remove the mapping of company " + c.company_id + " (" + c.company_name + ") to tenant " + m.tenant_id + "? The tenant is left as it is.")) return;
        done(await api("DELETE", "/customer-mappings/" + c.company_id, undefined, asRead));
      } }, "Unmap"));
      actions.push(out);
      const tenant = m ? [(m.tenant && m.tenant.name) || "", " ", el("code", {}, m.tenant_id), m.tenant_kind === "sub_partner" ? " (sub-partner)" : ""] : "—";
      const state = m ? [m.held ? "held: " + (m.held.lines || []).join("; ") : "", skipReason(c) ? el("span", { class: "skip" }, "skipped: " + skipReason(c)) : "",
        m.quota_push && m.quota_push.last_error ? el("span", { class: "error" }, " quota push: " + text(m.quota_push.last_error)) : ""] : ["unmapped"];
      for (const note of c.contract_conflicts || []) state.push(el("div", { class: "conflict-note error" }, "conflict: " + text(note)));
      return [String(c.company_id), el("span", { class: "company-name" }, c.company_name), text(c.company_type), el("span", {}, tenant), el("span", {}, state), el("span", {}, actions)];
    };
    search.addEventListener("change", () => load());
    filter.addEventListener("change", () => load());
    type.addEventListener("change", () => load());
    view.append(el("p", {}, el("label", {}, "Search ", search), " ", el("label", {}, "Show ", filter), " ", el("label", {}, "Type ", type)), list);
    await load();
  },

  async alerts(view) {
    const a = await api("GET", "/alert-mappings");
    if (a.status !== 200) { view.append(errorBox(a)); return; }
    view.append(table(["alert type", "on", "priority", "queue", "issue type", "sub-issue type"],
      (a.body.alert_mappings || []).map((m) => [m.alert_type, m.enabled ? "yes" : "no", m.priority, m.queue, m.issue_type, m.sub_issue_type])));
    if (a.body.unavailable) view.append(el("p", { class: "skip" }, "Unavailable: " + text(a.body.unavailable)));
    view.append(el("details", {}, el("summary", {}, "Alert types and allowed values"), el("pre", {}, JSON.stringify({ alert_types: a.body.alert_types, picklists: a.body.picklists }, null, 1))));
    await documentEditor(view, "/alert-mappings", ["alert_mappings"]);
  },

  async jobs(view) {
    const a = await api("GET", "/jobs");
    if (a.status !== 200) { view.append(errorBox(a)); return; }
    const db = a.body.database || {};
    if (db.mismatch) view.append(el("p", { class: "error" }, text(db.message)));
    const out = el("div", { id: "run-result" });
    view.append(table(["job", "on", "schedules", "last run", "last error", ""], a.body.jobs.map((j) => {
      const r = j.last_run;
      return [j.name, j.on ? "on" : "off (" + text(j.switch) + ")", j.schedules.map((s) => s.name + " " + s.expression).join(", "),
        r ? (r.ok ? "ok" : "failed") + (r.dry_run ? " (dry run)" : "") + " " + text(r.finished_at || r.started_at) + " [" + text(r.trigger) + "]" : "never",
        j.last_error ? text(j.last_error.at) + " " + text(j.last_error.message) : "",
        el("button", { class: "run-now", "data-job": j.name, onclick: async (ev) => {
          ev.target.disabled = true;
          out.replaceChildren("Running " + j.name + "…");
          const r = await api("POST", "/jobs/" + encodeURIComponent(j.name) + "/run");
          out.replaceChildren(r.status < 300 ? el("pre", { class: "ok" }, text(r.body.text || r.body.result || r.body.status)) : errorBox(r));
          ev.target.disabled = false;
        } }, "Run now")];
    })), out);
  },

  async plan(view) {
    const a = await api("GET", "/plan");
    if (a.status !== 200) { view.append(errorBox(a)); return; }
    view.append(el("p", {}, "Billing " + (a.body.billing ? "on" : "off") + "; two-way sync " + (a.body.two_way_sync ? "on" : "off") + "."));
    view.append(heldList(a.body.held || [], () => show("plan")));
    view.append(table(["company", "tenant", "quota push", "units", "usage report"], a.body.items.map((i) => [
      String(i.company_id), i.tenant_id,
      el("div", {}, i.error ? el("span", { class: "error" }, i.error) : "", i.skipped ? el("span", { class: "skip" }, "skipped: " + text(i.skipped)) : "",
        (i.lines || []).map((l) => el("div", { class: "plan-line" }, l)), (i.skipped_lines || []).map((l) => el("div", { class: "skip" }, l))),
      el("div", {}, (i.unit_lines || []).map((l) => el("div", {}, l))),
      el("div", {}, i.usage ? [i.usage.period ? el("div", {}, "period " + text(i.usage.period.start) + " – " + text(i.usage.period.end)) : "", (i.usage.lines || []).concat(i.usage.overuse_lines || [], i.usage.skipped_lines || []).map((l) => el("div", {}, l)),
        typeof i.usage.skipped === "string" ? "skipped: " + i.usage.skipped : "", i.usage.error ? el("span", { class: "error" }, i.usage.error) : ""] : "")])));
  },

  async tickets(view) {
    const a = await api("GET", "/tickets");
    if (a.status !== 200) { view.append(errorBox(a)); return; }
    view.append(table(["ticket", "alert", "alert type", "company", "state", "last action", "opened", "last seen"],
      a.body.items.map((t) => [t.ticket_number || text(t.ticket_id), t.alert_id, t.alert_type, text(t.company_id), t.state, t.last_action, t.opened_at, t.last_seen_at])));
    if ((a.body.skipped || []).length) {
      view.append(el("h3", {}, "Skipped alerts"), table(["alert", "tenant", "why", "at"], a.body.skipped.map((s) => [s.alert_id, s.tenant_id, s.reason, s.at])));
    }
  },

  async audit(view) {
    const kind = el("input", { id: "kind", maxlength: 100, placeholder: "kind, e.g. mapping.created" });
    const list = el("div");
    const load = async (token) => {
      const q = new URLSearchParams({ limit: "50" });
      if (kind.value) q.set("kind", kind.value);
      if (token) q.set("page_token", token);
      const a = await api("GET", "/audit?" + q);
      if (a.status !== 200) { list.replaceChildren(errorBox(a)); return; }
      const t = table(["at", "actor", "kind", "subject", "change"], a.body.items.map((e) => [e.at, e.actor, e.kind, text(e.subject),
        el("details", {}, el("summary", {}, "before / after"), el("pre", {}, JSON.stringify({ before: e.before, after: e.after }, null, 1)))]));
      list.append(t);
      if (a.body.next_page_token) list.append(el("button", { onclick: (ev) => { ev.target.remove(); load(a.body.next_page_token); } }, "More"));
    };
    kind.addEventListener("change", () => { list.replaceChildren(); load(); });
    view.append(el("p", {}, el("label", {}, "Kind ", kind)), list);
    await load();
  },

  async forecast(view) {
    const days = el("input", { id: "days", type: "number", min: 1, max: 365, value: 14 });
    const list = el("div");
    const mark = (d) => (d ? el("mark", { class: "date" }, d) : "—");
    const load = async () => {
      const a = await api("GET", "/deprovisioning/forecast?days=" + encodeURIComponent(days.value));
      if (a.status !== 200) { list.replaceChildren(errorBox(a)); return; }
      list.replaceChildren(el("p", {}, a.body.delete_customer ? "Tenants are deleted on their date." : "Deletion is off: tenants are only disabled."),
        table(["company", "tenant", "disable on", "delete on"], a.body.items.map((i) => [String(i.company_id), i.tenant_id, mark(i.disable_on), mark(i.delete_on)])),
        heldList(a.body.held || [], load));
    };
    days.addEventListener("change", load);
    view.append(el("p", {}, el("label", {}, "Within days ", days)), list);
    await load();
  },
};

/** Held deprovisioning with its release (after a confirmation naming what happens). */
function heldList(held, reload) {
  if (!held.length) return el("p", { id: "held" }, "No held deprovisioning.");
  const release = async (body, what) => {
    if (!confirm("Release the held deprovisioning of " + what + "? The next contract poller run applies it:\n" + held.filter((h) => body.all || body.companies.includes(h.company_id)).flatMap((h) => h.lines).join("\n"))) return;
    const r = await api("POST", "/deprovisioning/release", body);
    if (r.status !== 200) status(text(r.body.error), "error"); else reload();
  };
  return el("div", { id: "held" }, el("h3", {}, "Held deprovisioning"),
    table(["company", "tenant", "held at", "actions", ""], held.map((h) => [String(h.company_id), h.tenant_id, h.held_at,
      el("div", {}, (h.lines || []).map((l) => el("div", {}, l))),
      h.released ? "released " + text(h.released_at) : el("button", { class: "release", onclick: () => release({ companies: [h.company_id] }, "company " + h.company_id) }, "Release")])),
    el("button", { class: "release-all", onclick: () => release({ all: true }, "every company") }, "Release all"));
}

function skipReason(c) {
  const t = c.mapping && c.mapping.tenant;
  if (!t) return "";
  if (t.self_service) return "the tenant is self-service";
  if (t.support_access_disabled) return "support access is disabled on the tenant";
  return "";
}

function start() {
  // A one-time token handed over in the address's fragment (never sent to a server).
  const m = location.hash.match(/token=([0-9A-Za-z_-]{1,200})/);
  if (m) { sessionStorage.setItem(TOKEN_KEY, m[1]); history.replaceState(null, "", location.pathname); }
  const nav = document.getElementById("tabs");
  nav.replaceChildren(...TABS.map((t) => el("button", { "data-tab": t, id: "tab-" + t, onclick: () => show(t) }, LABELS[t])));
  document.getElementById("login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, document.getElementById("token").value.trim());
    open();
  });
  if (sessionStorage.getItem(TOKEN_KEY)) open(); else showLogin();
}

function open() {
  document.getElementById("login").hidden = true;
  document.getElementById("tabs").hidden = false;
  document.getElementById("view").hidden = false;
  show("customers");
}

start();
