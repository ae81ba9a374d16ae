"use strict";
// Territory plan pages, the rule-set editor (validation at a line, coverage audit, gaps shown on
// the map) and the team and targets view. Views call TPPages.refresh(name) when shown.

const NOTE_FIELDS = ["strategy", "marketing", "outreach"];
const NOTE_LABELS = {strategy: "Strategy", marketing: "Marketing plans", outreach: "Outreach initiatives"};

// What the matching changes, in the CLI's words: a vacant territory (no primary rep now) gets a
// rep, not "another rep"; with no active rep anywhere yet, every territory gets one.
function matchingChanges(m) {
  const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
  const changing = m.pairs.filter((p) => !p.current).length;
  if (m.current_cost == null && m.current_pairs_priced === 0) {
    return `no territory has an active rep yet: ${changing} would get one`;
  }
  const filled = m.vacancies_filled || [];
  const text = `${plural(m.reps_moved, "rep", "reps")} would change territory; ${plural(changing - filled.length, "territory", "territories")} would get another rep`;
  return filled.length ? `${text}; ${plural(filled.length, "vacant territory", "vacant territories")} (${filled.join(", ")}) would get one` : text;
}

const TPPages = {
  territoryId: null, notesRevision: 0, highlight: null,

  init() {
    document.getElementById("tp-territory").addEventListener("change", (e) => this.openTerritory(e.target.value));
    document.getElementById("tp-form").addEventListener("submit", (e) => { e.preventDefault(); this.saveNotes().catch((err) => say(err.message, "error")); });
    document.getElementById("rules-validate").addEventListener("click", () => this.validateRules().then(() => clearError()).catch((e) => say(e.message, "error")));
    document.getElementById("rules-save").addEventListener("click", () => this.saveRules().catch((e) => this.rulesFailed(e)));
    document.getElementById("rules-audit").addEventListener("click", () => this.auditRules().catch((e) => this.rulesFailed(e)));
    document.getElementById("rules-reload").addEventListener("click", () => this.reloadRules().catch((e) => say(e.message, "error")));
    for (const kind of ["capacity", "matching"]) {
      document.getElementById(`team-${kind}`).addEventListener("click", () => this.computeTeam(kind).catch((e) => say(e.message, "error")));
    }
    if (!canPlan()) {
      document.getElementById("rules-editor").hidden = true;
    }
    const wanted = new URLSearchParams(location.hash.slice(1)).get("territory");
    if (wanted) { this.territoryId = wanted; showView("territory"); }
    TPDashboard.init();
  },

  async refresh(view) {
    if (view === "dashboard") await TPDashboard.refresh();
    if (view === "territory") await this.territory();
    if (view === "rules" && canPlan()) await this.loadRules();
    if (view === "team") await this.team();
  },

  // Called when another plan is opened: drop what belonged to the previous one.
  planChanged() {
    this.clearHighlight();
    this.rulesPlan = null;
    this.rulesLoading = null;
    document.getElementById("rules-audit-result").replaceChildren();
    document.getElementById("rules-problems").replaceChildren();
  },

  // --- territory plan page ---------------------------------------------------------------
  openTerritory(territoryId) {
    this.territoryId = territoryId;
    history.replaceState(null, "", `#plan=${encodeURIComponent(TP.plan.id)}&territory=${encodeURIComponent(territoryId)}`);
    if (TPViews.current !== "territory") showView("territory");
    else this.territory().catch((e) => say(e.message, "error"));
  },

  // The page takes a second or more: "Loading…" (aria-busy) until it is drawn.
  territory() { return withBusy("view-territory", this.loadTerritory()); },

  async loadTerritory() {
    const select = document.getElementById("tp-territory");
    const territories = TP.mapData ? TP.mapData.territories : [];
    select.replaceChildren(...territories.map((t) => el("option", {value: t.id}, t.name)));
    if (!this.territoryId || !territories.length) this.territoryId = this.territoryId || (territories[0] && territories[0].id);
    const page = document.getElementById("tp-page");
    if (!this.territoryId) { page.hidden = true; return; }
    const listed = territories.some((t) => t.id === this.territoryId);
    if (listed) select.value = this.territoryId;
    else {
      // A link to a territory not listed (not this user's): the list must not seem to show
      // its first territory, which choosing again would not open (no change event).
      select.prepend(el("option", {value: "", disabled: "disabled"}, "Choose a territory"));
      select.value = "";
    }
    const view = document.getElementById("view-territory");
    if (!listed && TP.config.user.role === "rep") {
      // A rep's map lists every territory they may read: another one's page would answer
      // 404, so it is not asked for.
      this.pageTicket = (this.pageTicket || 0) + 1;
      this.notFound(page, view);
      return;
    }
    // Only the answer to the latest request is shown (a slower, older one must not overwrite it).
    const ticket = (this.pageTicket = (this.pageTicket || 0) + 1);
    view.dataset.state = "loading";
    let data;
    try {
      data = await api("GET", `/plans/${encodeURIComponent(TP.plan.id)}/territories/${encodeURIComponent(this.territoryId)}/page`);
    } catch (e) {
      if (ticket !== this.pageTicket) return;
      if (e.status === 404) { this.notFound(page, view); return; }
      page.hidden = true;
      view.dataset.state = "error";
      say(e.message, "error");
      return;
    }
    if (ticket !== this.pageTicket) return;
    clearError();  // e.g. the "no territory … from the link" of the page shown before
    page.hidden = false;
    document.getElementById("tp-conflict").replaceChildren();
    document.getElementById("tp-conflict").hidden = true;
    this.renderTerritory(data);
    view.dataset.state = "loaded";
  },

  notFound(page, view) {
    page.hidden = true;
    view.dataset.state = "not-found";
    // A territory the user may not see has no name to show: the id is the link's own.
    say(`No territory ${this.territoryId} (from the link) in plan ${TP.plan.name} that you can see: choose one of yours in the list.`, "error");
  },

  renderTerritory(data) {
    const t = data.territory;
    const reps = data.reps.map((r) => r.name).join(", ") || "no rep";
    document.getElementById("tp-title").textContent = `${t.name}${t.parent ? " (" + t.parent + ")" : ""}`;
    document.getElementById("tp-people").replaceChildren(
      el("span", {}, "Rep: ", el("strong", {id: "tp-rep"}, reps)), " · ",
      el("span", {}, "Manager: ", el("strong", {id: "tp-manager"}, data.managers.join(", ") || "none")), " · ",
      el("span", {class: "muted"}, `plan ${data.plan.name} v${data.plan.version}, ${data.plan.status.replace("_", " ")}`));
    const f = data.figures;
    const ytd = (TP.config.fiscal_year_start || 1) !== 1 ? "fiscal year to date" : "year to date";
    const figures = [[`Target (${ytd})`, fmt(f.target)], [`Revenue (${ytd})`, fmt(f.revenue)],
      ["Attainment", ratio(f.attainment)], ["Open pipeline", fmt(f.open_pipeline)],
      ["Pipeline coverage", f.pipeline_coverage == null ? (f.target > 0 && f.revenue >= f.target ? "target met" : "") : coverage(f.pipeline_coverage)],
      [`Potential (share of the ${ytd})`, fmt(f.potential)]];
    document.getElementById("tp-figures").replaceChildren(el("tbody", {}, ...figures.map(([k, v]) => el("tr", {}, el("th", {scope: "row"}, k), el("td", {class: "num"}, v)))));
    const n = data.notes;
    for (const field of ["strategy", "marketing", "outreach"]) {
      const area = document.getElementById(`tp-${field}`);
      area.value = n[field];
      area.readOnly = !data.editable;
      area.classList.toggle("read-only", !data.editable);  // and looks it (no caret, grey)
    }
    this.notesRevision = n.revision;
    document.getElementById("tp-save").hidden = !data.editable;
    document.getElementById("tp-saved").textContent = n.updated_by
      ? `Last saved by ${n.updated_by} on ${String(n.updated_at).slice(0, 16).replace("T", " ")} UTC.`
      : "Not written yet.";
    // A manager or rep reads the notes; a planner writes them: say so, the fields are not broken.
    if (!data.editable && data.plan.status !== "archived") document.getElementById("tp-saved").textContent += " Read-only: planners write these notes.";
    if (!data.editable && data.plan.status === "archived") document.getElementById("tp-saved").textContent += " The plan is archived: read-only.";
    const table = document.getElementById("tp-priorities");
    table.tHead.replaceChildren(el("tr", {}, ...["#", "Account", "Score", "Potential", "Revenue (12 months)", "Whitespace", "Open pipeline"].map((h) => el("th", {scope: "col"}, h))));
    table.tBodies[0].replaceChildren(...data.priorities.map((p) => el("tr", {"data-account": p.account_id},
      el("td", {class: "num"}, p.rank), el("td", {}, p.account || p.account_id), el("td", {class: "num"}, p.score == null ? "" : p.score.toFixed(3)),
      el("td", {class: "num"}, fmt(p.potential)), el("td", {class: "num"}, fmt(p.revenue_lookback)),
      el("td", {class: "num"}, fmt(p.whitespace)), el("td", {class: "num"}, fmt(p.open_pipeline)))));
    if (!data.priorities.length) table.tBodies[0].append(el("tr", {}, el("td", {colspan: 7, class: "muted"}, "No accounts in this territory.")));
  },

  async saveNotes() {
    const body = {revision: this.notesRevision};
    for (const field of NOTE_FIELDS) body[field] = document.getElementById(`tp-${field}`).value;
    let saved;
    try {
      saved = await api("PUT", `/plans/${encodeURIComponent(TP.plan.id)}/territories/${encodeURIComponent(this.territoryId)}/notes`, body);
    } catch (e) {
      const details = e.status === 409 && e.body && e.body.error && e.body.error.details;
      if (details && "stored_revision" in details) { await this.notesConflict(body); return; }
      throw e;
    }
    document.getElementById("tp-conflict").hidden = true;
    this.notesRevision = saved.revision;
    document.getElementById("tp-saved").textContent = `Saved (revision ${saved.revision}).`;
    say("Territory notes saved.");
  },

  // Someone saved these notes since they were opened: show the stored notes (who, when, the
  // territory by name) and keep the user's text, which one click puts back to save it over them.
  async notesConflict(typed) {
    const data = await api("GET", `/plans/${encodeURIComponent(TP.plan.id)}/territories/${encodeURIComponent(this.territoryId)}/page`);
    this.renderTerritory(data);
    const n = data.notes;
    const when = n.updated_at ? ` on ${String(n.updated_at).slice(0, 16).replace("T", " ")} UTC` : "";
    const text = `${n.updated_by || "Someone"} saved the notes of ${data.territory.name}${when}, after you opened them. `
      + "Their notes are shown now; your text is kept below.";
    const yours = NOTE_FIELDS.filter((f) => typed[f]).map((f) => el("p", {}, el("strong", {}, `${NOTE_LABELS[f]}: `), typed[f]));
    const box = document.getElementById("tp-conflict");
    box.replaceChildren(el("p", {}, text),
      el("details", {}, el("summary", {}, "Your text"), ...yours),
      el("button", {type: "button", id: "tp-reapply", onclick: () => this.reapplyNotes(typed)}, "Put my text back (then Save to keep it)"));
    box.hidden = false;
    say(`${text} Compare them, then save again.`, "error");
  },

  reapplyNotes(typed) {
    for (const field of NOTE_FIELDS) document.getElementById(`tp-${field}`).value = typed[field];
    document.getElementById("tp-conflict").hidden = true;
    say(`Your text is back in the form (the stored notes are revision ${this.notesRevision}): Save notes to keep it.`);
    document.getElementById("tp-strategy").focus();
  },

  // --- rules --------------------------------------------------------------------------------
  loadRules() {
    // One load per plan, even when the view is refreshed twice at once (opening a plan while
    // the tab is shown): a second answer must not overwrite what the user has typed since.
    const planId = TP.plan.id;
    if (this.rulesPlan === planId) return Promise.resolve();
    if (this.rulesLoading && this.rulesLoading.plan === planId) return this.rulesLoading.promise;
    const promise = (async () => {
      const r = await api("GET", `/plans/${encodeURIComponent(planId)}/rules`);
      if (TP.plan.id !== planId) return;
      document.getElementById("rules-text").value = r.document;
      document.getElementById("rules-version").textContent = r.version ? `version ${r.version}` : "no rule set yet";
      // what was said of the text shown before (its problems, "Not valid") is not said of this one
      const status = document.getElementById("rules-status");
      status.textContent = "";
      delete status.dataset.ok;
      document.getElementById("rules-problems").replaceChildren();
      this.rulesVersion = r.version || 0;  // a save says which version it was based on
      document.getElementById("rules-save").hidden = TP.plan.status === "archived";
      this.rulesPlan = planId;
    })();
    this.rulesLoading = {plan: planId, promise};
    return promise.finally(() => {
      if (this.rulesLoading && this.rulesLoading.promise === promise) this.rulesLoading = null;
    });
  },

  // "Reload the stored rules": the stored text again, even of the plan already loaded.
  async reloadRules() {
    this.rulesPlan = null;
    await this.loadRules();
    document.getElementById("rules-audit-result").replaceChildren();
    clearError();
  },

  rulesText() { return document.getElementById("rules-text").value; },

  showProblems(problems) {
    const list = document.getElementById("rules-problems");
    list.replaceChildren(...problems.map((p) => el("li", {class: "problem", "data-line": p.line ?? ""},
      el("button", {type: "button", class: "link", onclick: () => this.goToLine(p.line)}, p.line ? `Line ${p.line}${p.column ? ", column " + p.column : ""}` : "Rule set"),
      `: ${p.message}`)));
    if (problems.length && problems[0].line) this.goToLine(problems[0].line);
  },

  goToLine(line) {
    if (!line) return;
    const area = document.getElementById("rules-text");
    const lines = area.value.split("\n");
    const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    area.focus();
    area.setSelectionRange(start, start + (lines[line - 1] || "").length);
    const lineHeight = parseFloat(getComputedStyle(area).lineHeight) || 16;
    area.scrollTop = Math.max(0, (line - 4) * lineHeight);
  },

  async validateRules() {
    const v = await api("POST", `/plans/${encodeURIComponent(TP.plan.id)}/rules/validate`, {document: this.rulesText()});
    this.showProblems(v.problems);
    document.getElementById("rules-status").textContent = v.ok
      ? `Valid: ${v.rules} rules, ${v.overlays} overlays, ${v.territories} territories.` : "Not valid (see below).";
    document.getElementById("rules-status").dataset.ok = String(v.ok);
    return v.ok;
  },

  rulesFailed(error) {
    const d = error.body && error.body.error;
    if (d && d.code && error.status === 422 && d.details && "path" in d.details) {
      // the save or audit refused the text: validate to place the problem at its line
      this.validateRules().catch(() => {});
    }
    say(error.message, "error");
  },

  async saveRules() {
    if (!(await this.validateRules())) { say("Fix the rule set before saving it.", "error"); return; }
    const saved = await api("PUT", `/plans/${encodeURIComponent(TP.plan.id)}/rules`, {document: this.rulesText(), version: this.rulesVersion});
    this.rulesVersion = saved.version;
    document.getElementById("rules-version").textContent = `version ${saved.version}`;
    say([`Saved rule set version ${saved.version} of plan ${TP.plan.id}.`, ...(saved.notes || [])].join(" "));
  },

  async auditRules() {
    const box = document.getElementById("rules-audit-result");
    box.replaceChildren(el("p", {class: "muted"}, "Auditing the stored accounts…"));
    const a = await api("POST", `/plans/${encodeURIComponent(TP.plan.id)}/rules/audit`, {document: this.rulesText()});
    const acc = a.accounts;
    const summary = [["accounts", acc.records], ["assigned", acc.assigned], ["gaps", acc.gaps], ["of which to the catch-all", acc.gaps_to_catch_all],
      ["conflicts", acc.conflicts], ["coverage", ratio(acc.coverage)]];
    const out = [el("h3", {}, a.ok ? "Coverage audit: no gaps, no conflicts" : "Coverage audit: gaps or conflicts found"),
      el("table", {id: "rules-audit-summary"}, el("tbody", {}, ...summary.map(([k, v]) => el("tr", {"data-key": k}, el("th", {scope: "row"}, k), el("td", {class: "num"}, typeof v === "number" ? fmt(v) : v)))))];
    const names = {};
    for (const t of acc.territories || []) names[t.territory_id] = t.name;
    const listed = (title, kind) => {
      const rows = a.places.filter((p) => p.kind === kind);
      if (!rows.length) return;
      out.push(el("h4", {}, `${title} (${kind === "gap" ? acc.gaps : acc.conflicts}; first ${rows.length} listed)`),
        el("table", {"data-section": kind + "s"}, el("thead", {}, el("tr", {}, ...["Account", "State", "County", "ZIP"].map((h) => el("th", {scope: "col"}, h)))),
          el("tbody", {}, ...rows.map((p) => el("tr", {"data-account": p.id}, el("td", {}, p.name), el("td", {}, p.state || ""), el("td", {}, p.county_fips || ""), el("td", {}, p.postal_code || ""))))));
    };
    listed("Gaps: accounts no rule gives a territory", "gap");
    listed("Conflicts: accounts two rules claim", "conflict");
    for (const [key, label] of [["unused_rules", "Rules that match nothing"], ["shadowed_rules", "Rules always beaten by a higher one"]]) {
      if ((acc[key] || []).length) out.push(el("p", {}, `${label}: ${acc[key].join(", ")}`));
    }
    if (a.places.length) {
      out.push(el("div", {class: "buttons"},
        el("button", {type: "button", id: "rules-show-map", onclick: () => this.showOnMap(a.places)}, "Show gaps and conflicts on the map"),
        el("button", {type: "button", onclick: () => this.clearHighlight()}, "Clear the highlight")));
    }
    box.replaceChildren(...out);
    box.dataset.gaps = String(acc.gaps);
  },

  // Map hook: a highlight layer on TPMap's map (gap accounts red, conflicts purple, their
  // counties outlined); kept until cleared or another plan is opened.
  showOnMap(places) {
    this.clearHighlight();
    const colour = {gap: "#D55E00", conflict: "#882255"};
    const layer = L.layerGroup();
    const outlined = [];
    for (const p of places) {
      const unit = TPMap.layers[p.county_fips] || TPMap.layers[p.postal_code];
      if (unit && !outlined.includes(unit)) { unit.setStyle({color: colour[p.kind], weight: 3}); outlined.push(unit); }
      if (p.latitude == null || p.longitude == null) continue;
      layer.addLayer(L.circleMarker([p.latitude, p.longitude], {radius: 7, color: colour[p.kind], weight: 3, fillOpacity: 0.4})
        // a CRM name is text, never markup: Leaflet puts a string tooltip in as HTML
        .bindTooltip(el("span", {}, `${p.kind}: ${p.name}`)));
    }
    this.highlight = {layer, outlined};
    showView("map");
    layer.addTo(TPMap.map);
    const points = places.filter((p) => p.latitude != null).map((p) => [p.latitude, p.longitude]);
    if (points.length) TPMap.map.fitBounds(L.latLngBounds(points).pad(0.5), {maxZoom: 8});
    document.getElementById("map").dataset.highlighted = String(layer.getLayers().length);
    say(`Highlighted ${places.length} accounts from the coverage audit (red: gaps, purple: conflicts).`);
  },

  clearHighlight() {
    if (!this.highlight) return;
    this.highlight.layer.remove();
    for (const unit of this.highlight.outlined) {
      if (unit.feature) unit.setStyle(TPMap.unitStyle(unit.feature.id));
    }
    this.highlight = null;
    delete document.getElementById("map").dataset.highlighted;
  },

  // --- team and targets ---------------------------------------------------------------------
  async team() {
    this.renderTeam(await api("GET", `/plans/${encodeURIComponent(TP.plan.id)}/team`));
  },

  async computeTeam(kind) {
    say(`Computing ${kind}…`);
    this.renderTeam(await api("POST", `/plans/${encodeURIComponent(TP.plan.id)}/team/${kind}`));
    say("");
  },

  renderTeam(team) {
    const names = team.territory_names;
    const box = (id, nodes) => document.getElementById(id).replaceChildren(...nodes);
    const c = team.capacity;
    box("team-capacity-result", c ? [
      el("table", {id: "team-capacity-summary"}, el("tbody", {}, ...[["Workload (hours a year)", fmt(c.total_workload_hours)], ["Selling hours per rep", fmt(c.effective_hours_per_rep)],
        ["Reps needed (FTE)", fmt(c.fte_needed)], ["Reps needed", fmt(c.reps_needed)], ["Reps now", fmt(c.current_reps)]].map(([k, v]) => el("tr", {}, el("th", {scope: "row"}, k), el("td", {class: "num"}, v))))),
      // which limit sets the number (workload hours or the reps' account limit), as the CLI says it
      c.binding_reason ? el("p", {id: "team-capacity-binding"}, `Reps needed ${c.binding_reason}.`) : "",
      TPChart.table((c.groups || []).map((g) => ({...g, key: g.group})), Object.keys((c.groups || [])[0] || {}).filter((k) => k !== "id").map((k) => ({key: k, label: k.replaceAll("_", " "), format: (v) => (typeof v === "string" ? (names[v] || v) : fmt(v))})), {id: "team-capacity-groups"}),
      ...(c.warnings || []).map((w) => el("p", {class: "muted"}, w)),
    ] : [el("p", {class: "muted"}, "Not computed yet for this plan.")]);
    const m = team.matching;
    box("team-matching-result", m ? [
      el("p", {id: "team-matching-totals"}, `Total cost ${fmt(m.total_cost)} for ${m.pairs.length} territories${m.current_cost == null ? "" : ` (current assignment ${fmt(m.current_cost)}${m.current_pairs_priced === m.pairs.length ? "" : ` for the ${m.current_pairs_priced} held by active reps`})`}; ${matchingChanges(m)}.`),
      m.note ? el("p", {class: "muted", id: "team-matching-note"}, `Note: ${sentence(m.note)}`) : "",
      TPChart.table(m.pairs.map((p) => ({key: p.territory_id, rep: p.rep, territory: p.territory || names[p.territory_id], cost: p.cost, current: p.current ? "yes" : "no", why: p.why})),
        [{key: "rep", label: "rep", format: String}, {key: "territory", label: "territory", format: String}, {key: "cost", label: "cost"},
          {key: "current", label: "current", format: String}, {key: "why", label: "why", format: String}], {id: "team-matching-pairs"}),
      ...(m.vacant_territories.length ? [el("p", {}, `Vacant: ${m.vacant_territories.map((t) => names[t] || t).join(", ")}`)] : []),
    ] : [el("p", {class: "muted"}, "Not computed yet for this plan.")]);
    const t = team.targets;
    if (!t) { box("team-targets-result", [el("p", {class: "muted"}, "No targets are set for this plan yet (a planner sets them with terraplan targets, or imports them).")]); return; }
    const months = t.months || [];
    const fair = t.fairness || {};
    box("team-targets-result", [
      ...(t.note ? [el("p", {class: "muted", id: "team-targets-note"}, sentence(forTheUi(t.note)))] : []),
      el("p", {}, `${t.period_start} to ${t.period_end}; method ${t.method}; company target ${fmt(t.company_target)} (bottom-up ${fmt(t.bottom_up)}).`),
      TPChart.table((t.monthly || []).map((r) => ({...r, key: r.territory_id, territory: names[r.territory_id] || r.territory_id})),
        [{key: "territory", label: "territory", format: String}, ...months.map((mo) => ({key: mo, label: mo})), {key: "total", label: "total"}], {id: "team-targets-table"}),
      el("h4", {}, "Fairness"),
      el("table", {id: "team-fairness"}, el("tbody", {}, ...Object.entries(fair).filter(([k, v]) => k !== "rows" && typeof v !== "object").map(([k, v]) => el("tr", {}, el("th", {scope: "row"}, k.replaceAll("_", " ")), el("td", {class: "num"}, fmt(v)))))),
    ]);
  },
};
