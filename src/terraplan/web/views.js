"use strict";
// Compare, workflow, design (job with progress), rules (test-route); the dashboard, territory
// pages, rule editing and team views are in dashboard.js and pages.js (TPPages.refresh).
const TPViews = {
  current: "map",

  init() {
    document.getElementById("compare").addEventListener("click", () => this.compare().catch((e) => say(e.message, "error")));
    for (const [id, status] of [["wf-submit", "in_review"], ["wf-approve", "approved"], ["wf-draft", "draft"]]) {
      document.getElementById(id).addEventListener("click", () => this.setStatus(status).catch((e) => say(e.message, "error")));
    }
    document.getElementById("wf-activate").addEventListener("click", () => this.activate().catch((e) => say(e.message, "error")));
    document.getElementById("wf-copy").addEventListener("click", () => this.copy().catch((e) => say(e.message, "error")));
    document.getElementById("comment-form").addEventListener("submit", (e) => { e.preventDefault(); this.comment().catch((err) => say(err.message, "error")); });
    document.getElementById("design-form").addEventListener("submit", (e) => { e.preventDefault(); this.design().catch((err) => say(err.message, "error")); });
    document.getElementById("route-form").addEventListener("submit", (e) => { e.preventDefault(); this.route().catch((err) => say(err.message, "error")); });
    document.getElementById("wf-date").value = new Date().toISOString().slice(0, 10);
  },

  async refreshCurrent() {
    if (!TP.plan) return;
    if (this.current === "workflow") await this.workflow();
    await TPPages.refresh(this.current);
  },

  // --- compare ---------------------------------------------------------------------------
  async compare() {
    const base = document.getElementById("compare-base").value;
    const other = document.getElementById("compare-other").value;
    const c = await api("GET", `/plans/${encodeURIComponent(base)}/compare/${encodeURIComponent(other)}?moved_limit=200`);
    const out = document.getElementById("compare-result");
    const summary = Object.entries(c).filter(([, v]) => typeof v === "number" || typeof v === "string");
    const tables = [el("h3", {}, `${base} → ${other}`),
      el("table", {id: "compare-summary"}, el("tbody", {}, ...summary.map(([k, v]) => el("tr", {"data-key": k}, el("th", {}, k.replaceAll("_", " ")), el("td", {class: "num"}, fmt(v))))))];
    for (const [key, rows] of Object.entries(c)) {
      if (!Array.isArray(rows) || !rows.length || typeof rows[0] !== "object") continue;
      const cols = Object.keys(rows[0]).filter((k) => typeof rows[0][k] !== "object");
      tables.push(el("h3", {}, key.replaceAll("_", " ") + ` (${rows.length}${key === "moved" ? " shown" : ""})`),
        el("table", {"data-section": key}, el("thead", {}, el("tr", {}, ...cols.map((k) => el("th", {}, k.replaceAll("_", " "))))),
          el("tbody", {}, ...rows.slice(0, 200).map((r) => el("tr", {}, ...cols.map((k) => el("td", {}, fmt(r[k]))))))));
    }
    out.replaceChildren(...tables);
  },

  // --- workflow --------------------------------------------------------------------------
  async workflow() {
    const planId = TP.plan.id;
    const plan = await api("GET", `/plans/${encodeURIComponent(planId)}`);
    TP.plan.version = plan.version;
    TP.plan.status = plan.status;
    document.getElementById("wf-status").textContent = plan.status.replace("_", " ");
    document.getElementById("wf-version").textContent = plan.version;
    document.getElementById("plan-status").textContent = plan.status.replace("_", " ");
    const target = document.getElementById("comment-target");
    target.replaceChildren(el("option", {value: ""}, "the plan"), ...plan.territories.map((t) => el("option", {value: t.id}, `territory ${t.name}`)));
    const comments = await api("GET", `/plans/${encodeURIComponent(planId)}/comments`);
    document.getElementById("comments").replaceChildren(...comments.map((c) => el("li", {},
      el("strong", {}, c.author || "?"), ` on ${c.target_kind}${c.target_id ? " " + c.target_id : ""} (${c.created_at.slice(0, 16).replace("T", " ")}): `, c.body)));
    if (canPlan() || TP.config.user.role === "manager") {
      try {
        const audit = await api("GET", `/audit?plan_id=${encodeURIComponent(planId)}`);
        document.getElementById("audit").tBodies[0].replaceChildren(...audit.slice(0, 100).map((a) => el("tr", {},
          el("td", {}, (a.at || "").slice(0, 19).replace("T", " ")), el("td", {}, a.actor || ""), el("td", {}, a.action))));
      } catch (e) { document.getElementById("audit").tBodies[0].replaceChildren(); }
    }
  },

  async setStatus(status) {
    const body = {status, version: TP.plan.version};
    if (status === "draft" && TP.plan.status !== "draft") {
      const reason = window.prompt("Why does this plan go back to draft?");  // the API requires one
      if (!reason || !reason.trim()) return;
      body.reason = reason.trim();
    }
    await api("POST", `/plans/${encodeURIComponent(TP.plan.id)}/status`, body);
    say(`Plan ${TP.plan.id} is now ${status.replace("_", " ")}.`);
    await this.workflow();
    TPMap.renderEditPanel();
  },

  async activate() {
    const date = document.getElementById("wf-date").value || null;
    const saved = await api("POST", `/plans/${encodeURIComponent(TP.plan.id)}/activate`, {version: TP.plan.version, effective_from: date});
    say(`Plan ${saved.id} is active from ${date}.`);
    await this.workflow();
    TPMap.renderEditPanel();
  },

  async copy() {
    const copied = await api("POST", `/plans/${encodeURIComponent(TP.plan.id)}/copy`, {});
    await loadPlans(copied.id);
    await openPlan(copied.id);
    say(`Copied to ${copied.name} (${copied.id}), a draft you can edit.`);
  },

  async comment() {
    const body = document.getElementById("comment-body").value.trim();
    if (!body) return;
    const target = document.getElementById("comment-target").value;
    await api("POST", `/plans/${encodeURIComponent(TP.plan.id)}/comments`,
      target ? {body, target_kind: "territory", target_id: target} : {body});
    document.getElementById("comment-body").value = "";
    await this.workflow();
  },

  // --- design ----------------------------------------------------------------------------
  async design() {
    const states = document.getElementById("d-states").value.split(",").map((s) => s.trim().toUpperCase()).filter(Boolean);
    const parameters = {
      units: "counties",
      n_territories: Number(document.getElementById("d-n").value),
      balance: {[document.getElementById("d-metric").value]: Number(document.getElementById("d-tol").value) / 100},
      contiguous: document.getElementById("d-contig").checked,
    };
    if (states.length) parameters.states = states;
    const job = await api("POST", "/jobs", {kind: "design", parameters});
    const bar = document.getElementById("d-progress");
    const status = document.getElementById("d-status");
    for (;;) {
      const j = await api("GET", `/jobs/${encodeURIComponent(job.id)}`);
      bar.value = j.progress;
      status.textContent = `${j.status}${j.step ? ": " + j.step : ""} (${Math.round(j.progress * 100)} %)`;
      if (j.status === "succeeded") {
        await loadPlans(j.result.plan_id);
        await openPlan(j.result.plan_id);
        status.append(" — opened plan ", el("strong", {}, j.result.plan_id));
        status.dataset.status = j.status;  // after the result is open
        return;
      }
      status.dataset.status = j.status;
      if (j.status === "failed" || j.status === "cancelled") {
        status.textContent = `${j.status}: ${(j.error && j.error.message) || ""}`;
        return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  },

  // --- rules -----------------------------------------------------------------------------
  async route() {
    const body = {company: document.getElementById("r-company").value, postal_code: document.getElementById("r-zip").value, plan_id: TP.plan.id};
    const r = await api("POST", "/route", body);
    document.getElementById("route-result").replaceChildren(el("p", {},
      el("strong", {}, r.territory_name || "no territory"), r.owner_name ? ` — ${r.owner_name}` : ""), el("p", {id: "route-explanation"}, r.explanation));
  },
};
