"use strict";
// Compare, workflow, design (job with progress), rules (test-route); the dashboard, territory
// pages, rule editing and team views are in dashboard.js and pages.js (TPPages.refresh).
const TPViews = {
  current: "map",

  init() {
    document.getElementById("compare").addEventListener("click", () => this.compareBusy().catch((e) => say(e.message, "error")));
    for (const [id, status] of [["wf-submit", "in_review"], ["wf-approve", "approved"], ["wf-draft", "draft"]]) {
      document.getElementById(id).addEventListener("click", () => this.setStatus(status).catch((e) => this.workflowFailed(e)));
    }
    document.getElementById("wf-activate").addEventListener("click", () => this.activate().catch((e) => this.workflowFailed(e)));
    document.getElementById("d-cancel").addEventListener("click", () => this.cancelJob().catch((e) => say(e.message, "error")));
    document.getElementById("wf-copy").addEventListener("click", () => this.copyForm().catch((e) => say(e.message, "error")));
    document.getElementById("wf-copy-form").addEventListener("submit", (e) => { e.preventDefault(); this.copy().catch((err) => say(err.message, "error")); });
    document.getElementById("wf-copy-cancel").addEventListener("click", () => this.closeCopyForm());
    document.getElementById("wf-regions").addEventListener("click", () => this.regionsFromReps().catch((e) => this.workflowFailed(e)));
    // Escape closes the form as Cancel does; the focus goes back to "Copy as new scenario"
    document.getElementById("wf-copy-form").addEventListener("keydown", (e) => {
      if (e.key === "Escape") { e.preventDefault(); this.closeCopyForm(); }
    });
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
  // Compare takes seconds (three requests and two maps): say so, and one at a time.
  async compareBusy() {
    const button = document.getElementById("compare");
    if (button.disabled) return;
    button.disabled = true;
    try { await withBusy("view-compare", this.compare()); clearError(); } finally { button.disabled = false; }
  },

  async compare() {
    const base = document.getElementById("compare-base").value;
    const other = document.getElementById("compare-other").value;
    const enc = encodeURIComponent;
    const [c, basePlan, otherPlan, reps] = await Promise.all([
      api("GET", `/plans/${enc(base)}/compare/${enc(other)}?moved_limit=200`),
      api("GET", `/plans/${enc(base)}`), api("GET", `/plans/${enc(other)}`),
      api("GET", "/reps?limit=1000").catch(() => ({items: []})),
    ]);
    // Names, never ids: territories from both plans, reps from the reps the caller may see.
    const territory = {};
    for (const t of [...basePlan.territories, ...otherPlan.territories]) territory[t.id] = t.name;
    const rep = {};
    for (const r of reps.items || []) rep[r.id] = r.name;
    const tName = (id) => id === null || id === undefined ? "—" : (territory[id] || "(unknown territory)");
    const rName = (id) => id === null || id === undefined ? "no owner" : (rep[id] || "(a rep you cannot see)");
    const names = (ids) => ids.length ? ids.map(rName).join(", ") : "none";
    // A share under 0.05 % is not "0.0 %" when something moved: "< 0.1 %".
    const share = (x) => x > 0 && x < 0.0005 ? "< 0.1 %" : (100 * x).toFixed(1) + " %";
    const out = document.getElementById("compare-result");
    // Revenue targets as each plan stores them; "-" where a plan sets none.
    const target = (v) => v === null || v === undefined ? "-" : fmt(v);
    const change = (v) => v === null || v === undefined ? "-" : (v > 0 ? "+" : "") + fmt(v);
    // The windows the figures cover, said next to them: Compare's revenue is the 12 months the
    // API names (revenue_window) and its targets the period it names (target_period: the
    // days both plans set), not the Dashboard's period (e.g. year to date); potential is a year's.
    const win = c.revenue_window ? c.revenue_window.split(" to ") : null;
    const revenueWindow = win ? `12 months to ${win[1]}` : "no sales history";
    const targetWindow = c.target_period || "none compared";
    const windowNote = el("p", {id: "compare-window", class: "compare-window"},
      win ? `Revenue covers the 12 months ${win[0]} to ${win[1]}` : "No revenue is counted: there is no sales history",
      c.target_period ? `; targets are the plans' stored revenue targets for ${c.target_period}` : "; no revenue targets are compared",
      "; potential is a year's. ",
      "These are not the Dashboard's figures, which cover the period chosen there (e.g. year to date).");
    const summary = el("ul", {id: "compare-summary"},
      el("li", {"data-key": "accounts_moved"}, `${c.accounts_moved.toLocaleString()} of ${c.accounts.toLocaleString()} accounts (${share(c.share_moved)}) change territory; ${c.units_moved.toLocaleString()} ${c.units_moved === 1 ? "unit moves" : "units move"}.`),
      el("li", {"data-key": "owner_changes"}, `${c.owner_changes.toLocaleString()} accounts change owner.`),
      el("li", {"data-key": "potential_moved"}, `Potential moved: ${fmt(c.potential_moved)} (${share(c.potential_share_moved)}); revenue moved (${revenueWindow}): ${fmt(c.revenue_moved)}.`),
      el("li", {"data-key": "pipeline"}, `Open pipeline moved: ${fmt(c.pipeline_moved)}, of which ${fmt(c.pipeline_protected)} stays with its current owner until it closes.`),
      el("li", {"data-key": "reps"}, `Reps gaining accounts: ${names(c.reps_gaining)}. Reps losing accounts: ${names(c.reps_losing)}.`),
      el("li", {"data-key": "targets"}, c.target_base === null && c.target_other === null ? "Neither plan sets revenue targets."
        : `Revenue targets${c.target_period ? ` for ${c.target_period}` : ""}: ${target(c.target_base)} → ${target(c.target_other)}${c.target_change === null ? "" : ` (${change(c.target_change)})`}.`));
    const targetCells = (x) => [
      el("td", {class: "num", "data-col": "target_base"}, target(x.target_base)),
      el("td", {class: "num", "data-col": "target_other"}, target(x.target_other)),
      el("td", {class: "num", "data-col": "target_change"}, change(x.target_change))];
    const metrics = el("table", {"data-section": "territories"},
      el("caption", {}, `Territories in both plans (revenue: ${revenueWindow}; targets: ${targetWindow}; potential: a year)`),
      el("thead", {}, el("tr", {}, ...["Territory", "Accounts (base)", "Accounts (scenario)", "Potential, year (base)", "Potential, year (scenario)",
        `Revenue, ${revenueWindow} (base)`, `Revenue, ${revenueWindow} (scenario)`, `Target, ${targetWindow} (base)`, `Target, ${targetWindow} (scenario)`, "Target change"].map((h) => el("th", {scope: "col"}, h)))),
      el("tbody", {}, ...c.territories.map((t) => el("tr", {"data-territory": t.territory}, el("th", {scope: "row"}, t.name),
        ...[t.accounts_base, t.accounts_other, t.potential_base, t.potential_other, t.revenue_base, t.revenue_other].map((v) => el("td", {class: "num"}, fmt(v))),
        ...targetCells(t)))),
      el("tfoot", {}, el("tr", {"data-territory": "total"}, el("th", {scope: "row"}, "Total targets"),
        ...Array.from({length: 6}, () => el("td", {})), ...targetCells(c))));
    const moved = el("table", {"data-section": "moved"},
      el("caption", {}, `Moved accounts (${c.moved.length} shown of ${c.accounts_moved.toLocaleString()})`),
      el("thead", {}, el("tr", {}, ...["Account", "From territory", "To territory", "Old owner", "New owner", "Potential"].map((h) => el("th", {scope: "col"}, h)))),
      el("tbody", {}, ...c.moved.map((m) => el("tr", {"data-account": m.account_id}, el("td", {}, m.account),
        el("td", {}, tName(m.old_territory)), el("td", {}, tName(m.new_territory)),
        el("td", {class: "owner-old"}, rName(m.old_owner)), el("td", {class: "owner-new"}, rName(m.new_owner)),
        el("td", {class: "num"}, fmt(m.potential))))));
    const notes = (c.notes || []).map((n) => el("p", {class: "compare-note"}, `Note: ${sentence(forTheUi(n))}`));
    out.replaceChildren(el("h3", {}, `${basePlan.name} → ${otherPlan.name}`), el("h4", {}, "Disruption"), windowNote, summary, ...notes, metrics, moved);
    await this.compareMap(base, other);
  },

  async compareMap(base, other) {
    // Two maps side by side, base and scenario, panned and zoomed together; a territory has the
    // same colour in both; units that changed territory are outlined in black on both maps.
    const enc = encodeURIComponent;
    const [a, b] = await Promise.all([api("GET", `/plans/${enc(base)}/map`), api("GET", `/plans/${enc(other)}/map`)]);
    const before = {};
    for (const f of a.units.features) before[f.id] = f.properties.territory;
    const after = {};
    for (const f of b.units.features) after[f.id] = f.properties.territory;
    const colours = {};
    [...a.territories, ...b.territories].forEach((t) => {
      if (!(t.id in colours)) colours[t.id] = territoryColour(Object.keys(colours).length);
    });
    document.getElementById("compare-maps").hidden = false;
    const style = (other) => (f) => {
      const moved = other[f.id] !== undefined && other[f.id] !== f.properties.territory;
      return {fillColor: colours[f.properties.territory] || "#ccc", fillOpacity: moved ? 0.9 : 0.45,
        color: moved ? "#000" : "#fff", weight: moved ? 2.5 : 0.3};
    };
    const draw = (key, nodeId, data, other) => {
      if (!this[key]) {
        this[key] = L.map(nodeId, {preferCanvas: true, zoomSnap: 0.25, minZoom: 2, maxZoom: 14});
        if (TP.config.tile_url) L.tileLayer(TP.config.tile_url, {maxZoom: 18, attribution: "map tiles"}).addTo(this[key]);
      }
      const layerKey = key + "Layer";
      if (this[layerKey]) this[key].removeLayer(this[layerKey]);
      if (this[key + "Labels"]) this[key].removeLayer(this[key + "Labels"]);
      this[layerKey] = L.geoJSON(data.units, {style: style(other)}).addTo(this[key]);
      // each territory's name on it, as on the main map: colour is not the only way to tell them apart
      this[key + "Labels"] = L.layerGroup(data.territories.filter((t) => t.label).map((t) => L.marker(t.label, {
        interactive: false, keyboard: false,
        icon: L.divIcon({className: "territory-label", html: escapeHtml(t.name), iconSize: null}),
      }))).addTo(this[key]);
      this[key].invalidateSize();
      return this[layerKey];
    };
    draw("cmpBaseMap", "compare-map-base", a, after);
    const layer = draw("cmpMap", "compare-map", b, before);
    if (!this.cmpSynced) {
      // moving one map moves the other (the flag stops the echo)
      let syncing = false;
      const follow = (from, to) => from.on("move", () => {
        if (syncing) return;
        syncing = true;
        to.setView(from.getCenter(), from.getZoom(), {animate: false});
        syncing = false;
      });
      follow(this.cmpMap, this.cmpBaseMap);
      follow(this.cmpBaseMap, this.cmpMap);
      this.cmpSynced = true;
    }
    const bounds = layer.getBounds();
    if (bounds.isValid()) this.cmpMap.fitBounds(bounds, {padding: [10, 10]});
    let movedUnits = 0;
    for (const id of Object.keys(after)) if (before[id] !== undefined && before[id] !== after[id]) movedUnits += 1;
    document.getElementById("compare-map").dataset.movedUnits = String(movedUnits);
    document.getElementById("compare-map-base").dataset.movedUnits = String(movedUnits);
    this.compareLegend([...a.territories, ...b.territories], colours);
    document.getElementById("compare-map-base-title").textContent = `Base: ${this.planName(base)}`;
    document.getElementById("compare-map-title").textContent = `Scenario: ${this.planName(other)}`;
  },

  // Which colour is which territory on the two maps (by name; a territory of both plans is
  // listed once), and what the black outline means.
  compareLegend(territories, colours) {
    const seen = new Set();
    const items = [];
    for (const t of territories) {
      if (seen.has(t.id)) continue;
      seen.add(t.id);
      items.push(el("li", {"data-territory": t.id}, el("span", {class: "swatch", style: `background:${colours[t.id]}`}), ` ${t.name}`));
    }
    items.push(el("li", {"data-legend": "moved"}, el("span", {class: "swatch moved-swatch"}), " Unit that changes territory (black outline)"));
    const legend = document.getElementById("compare-legend");
    legend.replaceChildren(...items);
    legend.hidden = false;
  },

  planName(id) {
    const plan = (TP.plans || []).find((p) => p.id === id);
    return plan ? plan.name : id;
  },

  // --- workflow --------------------------------------------------------------------------
  async workflow() {
    const planId = TP.plan.id;
    const plan = await api("GET", `/plans/${encodeURIComponent(planId)}`);
    // Versions only grow: an answer read before an edit's answer landed must not take the
    // version the next edit sends back to an older one (that edit was refused as stale).
    if (TP.plan.id === plan.id) {
      if (plan.version >= TP.plan.version) TP.plan.version = plan.version;
      TP.plan.status = plan.status;
    }
    document.getElementById("wf-status").textContent = plan.status.replace("_", " ");
    document.getElementById("wf-effective").textContent = plan.effective_from ? ` from ${plan.effective_from}` : "";
    document.getElementById("wf-version").textContent = plan.version;
    document.getElementById("plan-status").textContent = plan.status.replace("_", " ");
    const allowed = await api("GET", `/plans/${encodeURIComponent(planId)}/permissions`);
    this.showActions(plan, allowed.actions);
    const target = document.getElementById("comment-target");
    target.replaceChildren(el("option", {value: ""}, "the plan"), ...plan.territories.map((t) => el("option", {value: t.id}, `territory ${t.name}`)));
    const comments = await api("GET", `/plans/${encodeURIComponent(planId)}/comments`);
    // A change request is read in names before anyone accepts it: the reps it would make
    // owners included (read once; a planner sees every rep, others their own).
    if (comments.some((c) => c.proposed_edit) && !this.repNames) {
      const reps = await api("GET", "/reps?limit=1000");
      this.repNames = Object.fromEntries(reps.items.map((r) => [r.id, r.name]));
    }
    // Names, never ids: the territories are the plan's (the API lists only comments on
    // territories the caller sees), and those across a rep's or manager's border that the
    // map names (a request that gives a county to the neighbour is on the neighbour's).
    const territory = {};
    if (TP.mapData && TP.mapData.plan.id === planId) for (const n of TP.mapData.neighbours || []) territory[n.id] = n.name;
    for (const t of plan.territories) territory[t.id] = t.name;
    const unitName = (id) => { const layer = (TPMap.layers || {})[id]; return layer ? `${layer.feature.properties.name}, ${layer.feature.properties.state || ""}` : `area ${id}`; };
    const account = {};
    for (const r of (TP.mapData && TP.mapData.accounts ? TP.mapData.accounts.rows : [])) account[r[0]] = r[1];
    const on = (c) => c.target_kind === "plan" || !c.target_id ? "the plan"
      : c.target_kind === "territory" ? `territory ${territory[c.target_id] || "(not shown)"}`
      : c.target_kind === "unit" ? unitName(c.target_id)
      : c.target_kind === "account" ? `account ${account[c.target_id] || c.target_id}`
      : c.target_kind;
    document.getElementById("comments").replaceChildren(...comments.map((c) => this.commentItem(c, on, territory, unitName)));
    // The files an integrator pushes back to the CRM, for an approved or active plan
    // (planners and admins: they hold every account); the owner update needs a rule run,
    // which activation makes.
    const enc = encodeURIComponent(planId);
    const pushable = canPlan() && (plan.status === "approved" || plan.status === "active");
    document.getElementById("crm-section").hidden = !pushable;
    document.getElementById("crm-owners-item").hidden = plan.status !== "active";
    document.getElementById("crm-owners").href = `/plans/${enc}/owner-updates?format=csv`;
    document.getElementById("crm-etm").href = `/plans/${enc}/etm-model`;
    // The audit log is for planners and admins (GET /audit answers 403 to others).
    document.getElementById("audit-section").hidden = !canPlan();
    if (canPlan()) {
      try {
        const audit = await api("GET", `/audit?plan_id=${encodeURIComponent(planId)}&order=newest&limit=100`);
        // The latest 100, newest on top, with what changed.
        document.getElementById("audit").tBodies[0].replaceChildren(...audit.map((a) => el("tr", {},
          el("td", {}, utcTime(a.at, 19)), el("td", {}, a.actor || "terraplan"), el("td", {}, a.action_text || a.action),
          el("td", {class: "audit-details"}, a.summary || this.auditDetails(a)))));
      } catch (e) { document.getElementById("audit").tBodies[0].replaceChildren(); }
    }
    return plan;
  },

  showActions(plan, actions) {
    // Only the steps the API's policy allows the user (GET /plans/{id}/permissions) and the
    // plan's status allows: submit a draft, approve or send back a plan in review (or an
    // approved one back), activate an approved plan, copy any. Planners and admins take them
    // all; a manager approves or sends back a plan in review that lies wholly in their region
    // (sending an approved plan back is an edit of it: planners and admins only).
    const status = plan.status;
    const reviewer = canPlan() || actions.includes("approve_plan");
    const editor = canPlan() || actions.includes("edit_plan");
    const shown = {
      "wf-submit": canPlan() && status === "draft",
      "wf-approve": reviewer && status === "in_review",
      "wf-draft": (reviewer && status === "in_review") || (editor && status === "approved"),
      "wf-activation": canPlan() && status === "approved",
      "wf-copy": canPlan(),
      "wf-regions": editor && status === "draft",
      "wf-regions-what": editor && status === "draft",
    };
    for (const [id, visible] of Object.entries(shown)) document.getElementById(id).hidden = !visible;
    if (!shown["wf-copy"] || document.getElementById("wf-copy-form").dataset.plan !== plan.id) this.closeCopyForm();
    const bar = document.getElementById("wf-actions");
    bar.dataset.plan = plan.id;  // which plan and status the buttons are for
    bar.dataset.status = status;
    const why = document.getElementById("wf-why");
    why.hidden = true;
    if (!canPlan() && status === "in_review" && !actions.includes("approve_plan")) {
      why.textContent = TP.config.user.role === "manager"
        ? "A manager approves a plan whose territories all lie in their region; this one reaches beyond it, so a planner approves it. Comment below to be heard."
        : "A planner or the manager of the region approves this plan. Comment below to be heard.";
      why.hidden = false;
    } else if (canPlan() && status === "active") {
      why.textContent = "This plan is in force. Copy it to work on a scenario; activating the copy archives this one.";
      why.hidden = false;
    } else if (canPlan() && status === "archived") {
      why.textContent = "This plan is archived (read-only). Copy it to work from it again.";
      why.hidden = false;
    }
  },

  auditDetails(a) {
    // What changed, in words: a status step with its reason, an edit, or the fields changed.
    const before = a.before || {}, after = a.after || {};
    const parts = [];
    if (after.status !== undefined && before.status !== after.status) {
      parts.push(`${String(before.status || "?").replace("_", " ")} → ${String(after.status).replace("_", " ")}`);
    }
    if (after.reason) parts.push(`reason: ${after.reason}`);
    if (after.note) parts.push(`note: ${after.note}`);
    if (after.edit && after.edit.op) {
      const e = after.edit;
      const count = (e.units || e.accounts || []).length;
      parts.push(count ? `${e.op.replace("_", " ")} (${count}) to ${e.to ? this.territoryName(e.to) : "none"}` : e.op.replace("_", " "));
    }
    if (after.effective_from) parts.push(`from ${after.effective_from}`);
    if (after.based_on) parts.push(`copy of ${this.planName(after.based_on)}`);  // by name
    return parts.join("; ");
  },

  territoryName(id) {
    const t = (TPMap.territories && TPMap.territories[id]) || (TPMap.neighbours && TPMap.neighbours[id]);
    return t ? t.name : id;
  },

  describeEdit(e, unitName) {
    if (!e) return "";
    const rep = (id) => (this.repNames || {})[id] || id;
    if (e.op === "batch") return (e.edits || []).map((step) => this.describeEdit(step, unitName)).join("; then ");
    if (e.op === "move_units") return `move ${(e.units || []).map(unitName).join(", ")} to ${this.territoryName(e.to)}`;
    if (e.op === "move_accounts") return `move ${(e.accounts || []).length} account(s) to ${this.territoryName(e.to)}`;
    if (e.op === "rename") return `rename ${this.territoryName(e.territory)} to ${e.name}`;
    if (e.op === "set_owners") {
      const reps = (e.reps || []).map(rep);
      return reps.length ? `make ${reps.join(" and ")} the owners of ${this.territoryName(e.territory)}`
        : `leave ${this.territoryName(e.territory)} without an owner`;
    }
    if (e.op === "lock" || e.op === "unlock") return `${e.op} ${(e.units || []).map(unitName).join(", ")}`;
    return e.op.replace("_", " ");
  },

  commentItem(c, on, territory, unitName) {
    const item = el("li", {"data-target": c.target_kind, "data-kind": c.kind},
      el("strong", {}, c.author || "?"), ` on ${on(c)} (${utcTime(c.created_at, 16)}): `, c.body);
    if (c.kind !== "change_request") return item;
    item.classList.add("change-request");
    item.dataset.comment = String(c.id);
    item.tabIndex = -1;  // the focus comes back here once it is accepted or rejected
    const state = c.status === "open" ? "open"
      : `${c.status} by ${c.resolved_by || "?"}${c.resolution ? ` (${c.resolution})` : ""}`;
    item.append(el("br"), el("em", {}, `Change request: ${this.describeEdit(c.proposed_edit, unitName)} — ${state}`));
    item.dataset.status = c.status || "";
    // Accepting makes the move on the plan, and only a draft can be edited: on any other
    // status the planner is told what to do first instead of meeting a 409.
    const acceptable = TP.plan.status === "draft";
    if (canPlan() && c.status === "open" && !acceptable) {
      const how = ["in_review", "approved"].includes(TP.plan.status)
        ? "send the plan back to draft (above) first, then accept it"
        : "copy the plan as a new scenario to make it there";
      item.append(" ", el("span", {class: "muted not-acceptable"},
        `Accepting edits a draft only; this plan is ${TP.plan.status.replace("_", " ")}: ${how}.`));
    }
    if (canPlan() && c.status === "open") {
      const decide = (accept) => async () => {
        const note = accept ? null : window.prompt("Why is it rejected? (optional)");
        await api("POST", `/comments/${c.id}/decision`, {accept, note: note || null});
        say(accept ? "Accepted: the move is made on the draft." : "Rejected.");
        if (accept) await TPMap.load(TP.plan.id, {keepMessage: true});
        await this.workflow();
        refocus(`#comments li[data-comment="${CSS.escape(String(c.id))}"]`);
      };
      if (acceptable) item.append(el("button", {type: "button", class: "accept", onclick: () => decide(true)().catch((e) => say(e.message, "error"))}, "Accept"));
      item.append(el("button", {type: "button", class: "reject", onclick: () => decide(false)().catch((e) => say(e.message, "error"))}, "Reject"));
    }
    return item;
  },

  // A step taken on a version someone else has changed since (409 with the stored version):
  // the server's words say who and when; the plan is reloaded here so the next click works.
  async workflowFailed(error) {
    const details = error.status === 409 && error.body && error.body.error && error.body.error.details;
    if (!details || !details.stored_version) { say(error.message, "error"); return; }
    const said = staleWords(error);
    try {
      await TPMap.load(TP.plan.id, {keepMessage: true});
      const plan = await this.workflow();
      await loadPlans(TP.plan.id);
      say(`${said} — reloaded with that change (now version ${plan.version}, ${plan.status.replace("_", " ")}): check it and try again.`, "error");
    } catch (e) {
      say(`${said}; reloading it failed: ${e.message}`, "error");
    }
  },

  async setStatus(status) {
    const body = {status, version: TP.plan.version};
    if (status === "draft" && TP.plan.status !== "draft") {
      const reason = window.prompt("Why does this plan go back to draft?");  // the API requires one
      if (!reason || !reason.trim()) {  // the API requires one: say why nothing happened
        say("The plan stays where it is: sending it back to draft needs a reason.", "error");
        return;
      }
      body.reason = reason.trim();
    }
    await api("POST", `/plans/${encodeURIComponent(TP.plan.id)}/status`, body);
    say(status === "draft" ? `Plan ${TP.plan.name} is back to draft.` : `Plan ${TP.plan.name} is now ${status.replace("_", " ")}.`);
    await this.workflow();
    await loadPlans(TP.plan.id);  // the drop-down names each plan's status
    TPMap.renderEditPanel();
    // the button pressed is gone (the plan's next steps differ): the focus goes to the status
    // line, which says the new status, not to the next step's button (a second Enter would take it)
    refocus("#wf-state");
  },

  async activate() {
    const date = document.getElementById("wf-date").value || null;
    const saved = await api("POST", `/plans/${encodeURIComponent(TP.plan.id)}/activate`, {version: TP.plan.version, effective_from: date});
    // With no date the server activates from today: say the date it stored.
    const plan = await this.workflow();
    await loadPlans(TP.plan.id);  // this plan is active, the one it replaces archived
    say(`Plan ${saved.name} is active from ${plan.effective_from || date || "today"}.${(saved.notes || []).map((n) => ` Note: ${sentence(n)}`).join("")}`);
    TPMap.renderEditPanel();
    refocus("#wf-state");
  },

  // "Copy as new scenario" asks for the copy's name (a unique one offered: "Copy 2 of …" when
  // "Copy of …" is taken) and the part of the market it covers (the source's unless chosen:
  // a region's plan is one its manager can approve).
  async copyForm() {
    const form = document.getElementById("wf-copy-form");
    if (!form.hidden && form.dataset.plan === TP.plan.id) { document.getElementById("wf-copy-name").focus(); return; }
    const source = (TP.plans || []).find((p) => p.id === TP.plan.id) || TP.plan;
    // every part of the market a plan may cover: reps' regions, accounts' segments and states
    if (!this.scopes) this.scopes = await api("GET", "/scopes").catch(() => ({regions: [], segments: [], states: []}));
    const own = (source.scope || "").trim();
    const options = [el("option", {value: "="}, own ? `${own}, as the source` : "the whole market, as the source")];
    if (own) options.push(el("option", {value: ""}, "the whole market"));
    for (const [kind, label] of [["regions", "Regions"], ["segments", "Segments"], ["states", "States"]]) {
      const choices = (this.scopes[kind] || []).filter((c) => c.value.toLowerCase() !== own.toLowerCase());
      if (choices.length) options.push(el("optgroup", {label}, ...choices.map((c) => el("option", {value: c.value}, c.label))));
    }
    document.getElementById("wf-copy-scope").replaceChildren(...options);
    document.getElementById("wf-copy-name").value = this.copyName(source.name);
    form.dataset.plan = TP.plan.id;
    form.hidden = false;
    document.getElementById("wf-copy").setAttribute("aria-expanded", "true");
    document.getElementById("wf-copy-name").focus();
  },

  copyName(name) {
    const taken = new Set((TP.plans || []).map((p) => p.name.trim().toLowerCase()));
    for (let n = 1; ; n += 1) {
      const candidate = n === 1 ? `Copy of ${name}` : `Copy ${n} of ${name}`;
      if (!taken.has(candidate.toLowerCase())) return candidate;
    }
  },

  // A form closed while the focus is in it (Cancel, Escape, the copy made) hands the focus back
  // to the button that opened it, not to the top of the page.
  closeCopyForm() {
    const form = document.getElementById("wf-copy-form");
    const opener = document.getElementById("wf-copy");
    const hadFocus = form.contains(document.activeElement);
    form.hidden = true;
    opener.setAttribute("aria-expanded", "false");
    if (hadFocus && !opener.hidden) opener.focus();
  },

  async copy() {
    const name = document.getElementById("wf-copy-name").value.trim();
    if (!name) { say("Give the copy a name.", "error"); return; }
    const scope = document.getElementById("wf-copy-scope").value;
    const body = scope === "=" ? {name} : {name, scope};
    const copied = await api("POST", `/plans/${encodeURIComponent(TP.plan.id)}/copy`, body);
    this.closeCopyForm();
    await loadPlans(copied.id);
    await openPlan(copied.id);
    say(`Copied to ${copied.name}${copied.scope ? ` (${copied.scope} only)` : ""}, a draft you can edit.`);
  },

  // A draft's regions from its reps' regions (POST /plans/{id}/regions, as `terraplan plans
  // regions --from reps`): what each region holds, and the territories left out and why.
  async regionsFromReps() {
    const button = document.getElementById("wf-regions");
    if (button.disabled) return;
    button.disabled = true;
    try {
      const plan = TP.plan;
      const answer = await api("POST", `/plans/${encodeURIComponent(plan.id)}/regions`, {from: "reps", version: plan.version});
      await TPMap.load(plan.id, {keepMessage: true});
      await this.workflow();
      const count = (n) => `${n} ${n === 1 ? "territory" : "territories"}`;
      const regions = answer.regions.map((r) => `${r.name} (${count(r.territories.length)})`).join(", ");
      const left = answer.unplaced.map((u) => u.reason);  // each reason names its territory
      const removed = answer.removed.map((t) => t.name);
      const said = answer.changed
        ? `Regions set from the reps: ${regions}.` : `The regions already follow the reps: ${regions}. Nothing changed.`;
      say([said, ...(left.length ? [`In no region: ${left.join("; ")}.`] : []),
        ...(answer.notes.some((n) => n.includes("no longer be undone")) ? ["The edits made before can no longer be undone."] : []),
        ...(removed.length ? [`Removed (no territory under it any more): ${removed.join(", ")}.`] : [])].join(" "));
    } finally { button.disabled = false; }
  },

  async comment() {
    const body = document.getElementById("comment-body").value.trim();
    if (!body) return;
    const target = document.getElementById("comment-target").value;
    await api("POST", `/plans/${encodeURIComponent(TP.plan.id)}/comments`,
      target ? {body, target_kind: "territory", target_id: target} : {body});
    document.getElementById("comment-body").value = "";
    await this.workflow();
    clearError();
  },

  // --- design ----------------------------------------------------------------------------
  designParameters() {
    const states = document.getElementById("d-states").value.split(",").map((s) => s.trim().toUpperCase()).filter(Boolean);
    const parameters = {
      units: "counties",
      n_territories: Number(document.getElementById("d-n").value),
      balance: {[document.getElementById("d-metric").value]: Number(document.getElementById("d-tol").value) / 100},
      contiguous: document.getElementById("d-contig").checked,
      seed: 1,
    };
    if (states.length) parameters.states = states;
    return parameters;
  },

  // One design job at a time from this page: while it runs, "Run design" and "Open this
  // design" are disabled (each click used to start another job and store another plan), and
  // Cancel stops it (POST /jobs/{id}/cancel).
  running(job) {
    this.job = job;
    const busy = job !== null;
    document.querySelector("#design-form button[type=submit]").disabled = busy;
    for (const b of document.querySelectorAll("#d-curve-result button.open-point")) b.disabled = busy;
    document.getElementById("d-curve-result").dataset.busy = String(busy);
    const cancel = document.getElementById("d-cancel");
    cancel.hidden = !busy || !job.id;
    cancel.disabled = false;
  },

  async cancelJob() {
    if (!this.job || !this.job.id) return;
    document.getElementById("d-cancel").disabled = true;
    await api("POST", `/jobs/${encodeURIComponent(this.job.id)}/cancel`);
    // a running job stops at its next progress report: until then the status line says so
    if (this.job) this.job.cancelling = true;
  },

  async runJob(parameters) {
    // A design job with its progress bar; the job's result, or null when it failed or was
    // cancelled (or another job is running already).
    if (this.job) return null;
    this.running({id: null});
    try {
      const job = await api("POST", "/jobs", {kind: "design", parameters});
      this.running(job);
      return await this.followJob(job);
    } finally {
      this.running(null);
    }
  },

  async followJob(job) {
    const bar = document.getElementById("d-progress");
    const status = document.getElementById("d-status");
    delete status.dataset.status;
    for (;;) {
      const j = await api("GET", `/jobs/${encodeURIComponent(job.id)}`);
      bar.value = j.progress;
      status.textContent = `${j.status}${j.step && j.step !== j.status ? ": " + j.step : ""} (${Math.round(j.progress * 100)} %)${job.cancelling ? " — cancelling…" : ""}`;
      if (j.status === "succeeded") return j.result;
      if (j.status === "failed" || j.status === "cancelled") {
        const why = j.error && j.error.message && plainLists(forTheUi(j.error.message));
        status.textContent = why ? `${j.status}: ${why}` : j.status;
        status.dataset.status = j.status;
        return null;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  },

  async openDesign(parameters) {
    const result = await this.runJob(parameters);
    if (!result) return;
    const status = document.getElementById("d-status");
    await loadPlans(result.plan_id);
    await openPlan(result.plan_id);
    status.append(" — opened plan ", el("strong", {}, this.planName(result.plan_id)));
    status.dataset.status = "succeeded";  // after the result is open
  },

  // A new run starts with an empty status line and bar: the last run's "succeeded — opened
  // plan …" must not stand next to this run's progress or error.
  resetDesignStatus() {
    const status = document.getElementById("d-status");
    status.replaceChildren();
    delete status.dataset.status;
    document.getElementById("d-progress").value = 0;
  },

  async design() {
    if (this.job) return;  // one job at a time (the button is disabled too)
    this.resetDesignStatus();
    clearError();
    const parameters = this.designParameters();
    document.getElementById("d-curve-result").replaceChildren();
    if (!document.getElementById("d-curve").checked) { await this.openDesign(parameters); return; }
    const tolerances = document.getElementById("d-curve-tols").value.split(/[,\s]+/).filter(Boolean).map((v) => Number(v) / 100);
    if (!tolerances.length || tolerances.some((t) => !(t >= 0))) { say("give the tolerances to sweep as percentages, e.g. 5, 10, 20", "error"); return; }
    const result = await this.runJob({...parameters, tradeoff: tolerances, time_limit: 10});
    if (!result) return;
    document.getElementById("d-status").dataset.status = "succeeded";
    this.renderCurve(result.tradeoff, parameters);
  },

  renderCurve(points, parameters) {
    // The price of balance: compactness (weighted inertia, lower is tighter) against the
    // largest balance deviation reached, one point per non-dominated design; same figures
    // in the table below, where each design can be opened (run again with its tolerance).
    const metric = Object.keys(parameters.balance)[0];
    const sorted = [...points].sort((a, b) => a.max_deviation - b.max_deviation);
    const W = 560, H = 280, L = 110, R = 20, T = 20, B = 50;
    const xs = sorted.map((p) => p.max_deviation), ys = sorted.map((p) => p.weighted_inertia);
    // Deviations start at 0; a single inertia gets a ±5 % band so that its point shows.
    const x0 = 0, x1 = Math.max(...xs, 0.01) * 1.1;
    const ylo = Math.min(...ys), yhi = Math.max(...ys);
    const [y0, y1] = yhi > ylo ? [ylo, yhi] : [ylo * 0.95, yhi * 1.05 + 1e-9];
    const px = (x) => L + (x - x0) / (x1 - x0) * (W - L - R);
    const py = (y) => H - B - (y - y0) / (y1 - y0) * (H - T - B);
    const NS = "http://www.w3.org/2000/svg";
    const svg = (tag, attrs, ...kids) => { const n = document.createElementNS(NS, tag); for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v); n.append(...kids); return n; };
    const chart = svg("svg", {id: "tradeoff-chart", viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img",
      "aria-label": `Trade-off curve: compactness against ${metric} balance for ${sorted.length} designs (figures in the table below)`});
    chart.append(svg("line", {x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#555"}), svg("line", {x1: L, y1: T, x2: L, y2: H - B, stroke: "#555"}),
      svg("text", {x: (L + W - R) / 2, y: H - 12, "text-anchor": "middle"}, `largest ${metric} deviation reached`),
      svg("text", {x: 16, y: (T + H - B) / 2, "text-anchor": "middle", transform: `rotate(-90 16 ${(T + H - B) / 2})`}, "weighted inertia (lower: tighter)"),
      svg("text", {x: L, y: H - B + 16, "text-anchor": "middle"}, pct(x0).replace("+", "")), svg("text", {x: W - R, y: H - B + 16, "text-anchor": "end"}, pct(x1).replace("+", "")),
      svg("text", {x: L - 6, y: py(y0), "text-anchor": "end"}, fmt(y0)), svg("text", {x: L - 6, y: py(y1) + 4, "text-anchor": "end"}, fmt(y1)),
      svg("polyline", {points: sorted.map((p) => `${px(p.max_deviation)},${py(p.weighted_inertia)}`).join(" "), fill: "none", stroke: "#0072B2", "stroke-width": 2}));
    sorted.forEach((p, i) => chart.append(svg("circle", {cx: px(p.max_deviation), cy: py(p.weighted_inertia), r: 6, fill: "#E69F00", stroke: "#1a1a1a", "data-point": i, class: "tradeoff-point"},
      svg("title", {}, `tolerance ±${(p.parameter * 100).toFixed(0)} %: deviation ${pct(p.max_deviation)}, inertia ${fmt(p.weighted_inertia)}`))));
    // The sweep ran the heuristic at each tolerance with this seed and time limit: so does the re-run.
    const open = (p) => {
      if (this.job) return;  // one job at a time (the buttons are disabled too)
      this.resetDesignStatus();
      this.openDesign({...parameters, balance: {[metric]: p.parameter}, method: "heuristic", time_limit: 10}).catch((e) => say(e.message, "error"));
    };
    chart.querySelectorAll("circle").forEach((c) => c.addEventListener("click", () => open(sorted[Number(c.dataset.point)])));
    const table = el("table", {id: "tradeoff-table"}, el("caption", {}, "Non-dominated designs (the points of the curve)"),
      el("thead", {}, el("tr", {}, ...["Tolerance", `Largest ${metric} deviation`, "Weighted inertia", "Within tolerance", "Contiguous", ""].map((h) => el("th", {scope: "col"}, h)))),
      el("tbody", {}, ...sorted.map((p, i) => el("tr", {"data-point": i},
        el("td", {class: "num"}, `±${(p.parameter * 100).toFixed(0)} %`), el("td", {class: "num"}, pct(p.max_deviation)),
        el("td", {class: "num"}, fmt(p.weighted_inertia)), el("td", {}, p.within_tolerance ? "yes" : "no"), el("td", {}, p.contiguous ? "yes" : "no"),
        el("td", {}, el("button", {type: "button", class: "open-point", onclick: () => open(p)}, "Open this design"))))));
    document.getElementById("d-curve-result").replaceChildren(el("h3", {}, "Price of balance"), chart, table);
  },

  // --- rules -----------------------------------------------------------------------------
  async route() {
    const body = {company: document.getElementById("r-company").value, postal_code: document.getElementById("r-zip").value, plan_id: TP.plan.id};
    const r = await api("POST", "/route", body);
    // The API's notes say what the explanation does not (an unknown ZIP, an inactive owner).
    const notes = (r.notes || []).map((n) => el("li", {}, forTheUi(n)));
    document.getElementById("route-result").replaceChildren(el("p", {},
      el("strong", {}, r.territory_name || "no territory"), r.owner_name ? ` — ${r.owner_name}` : ""), el("p", {id: "route-explanation"}, r.explanation),
      ...(notes.length ? [el("ul", {id: "route-notes", "aria-label": "Notes"}, ...notes)] : []));
    clearError();
  },
};
