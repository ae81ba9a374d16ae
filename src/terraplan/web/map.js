"use strict";
// The territory map: units filled by territory colour, dissolved outlines, labels, accounts
// (clustered), a legend; selection (click, shift-drag box, search) and moves with live balance.

// Okabe-Ito and Tableau-like colours first (distinguishable with common colour blindness),
// then golden-angle hues for larger plans.
const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
  "#999999", "#882255", "#44AA99", "#117733", "#DDCC77", "#332288", "#AA4499", "#88CCEE"];

function territoryColour(index) {
  if (index < PALETTE.length) return PALETTE[index];
  const hue = (index * 137.508) % 360;
  const light = [45, 60, 35][index % 3];
  return `hsl(${hue.toFixed(0)}, 65%, ${light}%)`;
}

// After an edit the map asks for the borders of the territories it changed; an edit that
// changed more than this many asks for all of them.
const OUTLINES_ASKED_UP_TO = 100;

const ACCOUNT_ICON = L.divIcon({className: "account-dot", iconSize: [8, 8]});

// Cluster icons are markers too, and Leaflet makes every marker a Tab stop: with hundreds of
// them the side panel's tools were 100+ presses away. The Accounts table and the legend carry
// the same information for the keyboard.
if (L.MarkerCluster) L.MarkerCluster.prototype.options.keyboard = false;

const TPMap = {
  map: null, unitLayer: null, outlineLayer: null, labelLayer: null, accountLayer: null,
  colours: {}, territories: {}, unitOf: {}, layers: {}, selected: new Set(), locked: new Set(),
  repLayer: null, accounts: [],
  // Edits and map reloads run one at a time (pending > 0: one is in flight); editSeq counts the
  // edit answers applied, so that a map fetched before one of them is known to be older.
  pending: 0, editSeq: 0, canUndo: false, canRedo: false,

  init() {
    this.map = L.map("map", {preferCanvas: true, boxZoom: false, zoomSnap: 0.25, minZoom: 2, maxZoom: 14});
    if (TP.config.tile_url) {
      L.tileLayer(TP.config.tile_url, {maxZoom: 18, attribution: "map tiles"}).addTo(this.map);
    }
    this.map.setView([39, -96], 4);
    this.map.on("moveend", () => this.placeLabels());
    this.installBoxSelect();
    document.getElementById("move").addEventListener("click", () => this.edit(() => this.move()));
    document.getElementById("undo").addEventListener("click", () => this.edit(() => this.undoRedo("undo")));
    document.getElementById("redo").addEventListener("click", () => this.edit(() => this.undoRedo("redo")));
    document.getElementById("clear-selection").addEventListener("click", () => this.clearSelection());
    document.getElementById("unit-search").addEventListener("change", (e) => this.selectBySearch(e.target.value));
    document.getElementById("lock").addEventListener("click", () => this.edit(() => this.lock("lock")));
    document.getElementById("unlock").addEventListener("click", () => this.edit(() => this.lock("unlock")));
    document.getElementById("request-send").addEventListener("click", () => this.requestChange().catch((e) => say(e.message, "error")));
    document.getElementById("request-search").addEventListener("change", (e) => { this.selectBySearch(e.target.value); e.target.value = ""; });
    document.getElementById("account-search").addEventListener("input", () => this.renderAccounts());
    document.getElementById("move-target").addEventListener("change", () => this.renderAccounts());
  },

  // An edit (move, lock, undo, pin...) runs only when no other edit or map reload is in
  // flight: each one is sent with the version of the latest answer, never one that an
  // answer still on its way will change (that edit was refused as a change "by" the user).
  edit(run) {
    if (this.pending > 0) return Promise.resolve();  // the buttons are disabled meanwhile
    return this.track(run).catch((e) => this.fail(e));
  },

  async track(run) {
    // The button pressed is disabled meanwhile, which drops the keyboard focus: it comes back
    // to it (or, with nothing left to undo or redo, to the other one) once the map is drawn.
    const from = document.activeElement;
    const row = from && from.closest && from.closest("#account-table tr[data-account]");
    this.pending += 1;
    this.renderBusy();
    try { return await run(); } finally {
      this.pending -= 1;
      this.renderBusy();
      if (this.pending === 0 && from && from !== document.body) {
        const again = row ? `#account-table tr[data-account="${CSS.escape(row.dataset.account)}"] button` : null;
        refocus(from, ...(again ? [again, "#account-search"] : ["#undo", "#redo", "#move"]));
      }
    }
  },

  // While an edit or a reload is in flight the edit buttons are disabled and the panel says
  // "Updating the map…" (aria-busy for screen readers); selecting units stays possible.
  renderBusy() {
    const busy = this.pending > 0;
    for (const id of ["edit-panel", "account-table"]) document.getElementById(id).setAttribute("aria-busy", String(busy));
    document.getElementById("edit-busy").hidden = !busy;
    for (const id of ["move", "lock", "unlock"]) document.getElementById(id).disabled = busy;
    document.getElementById("undo").disabled = busy || !this.canUndo;
    document.getElementById("redo").disabled = busy || !this.canRedo;
    for (const b of document.querySelectorAll("#account-table button")) b.disabled = busy;
  },

  fail(error) {
    if (error.status === 409 && error.body && error.body.error.details && error.body.error.details.stored_version) {
      // The server's words say who changed it and when; here the reload is done for the user.
      say(`${staleWords(error)} — reloaded with that change; your selection is kept: try again.`, "error");
      const kept = [...this.selected];
      this.load(TP.plan.id, {keepMessage: true}).then(() => {
        for (const u of kept) if (this.layers[u]) { this.selected.add(u); this.restyle(u); }
        this.renderSelection();
      }).catch((e) => say(e.message, "error"));
      return;
    }
    say(error.message, "error");
  },

  // A reload counts as in flight too: no edit is sent until the map it brings is drawn.
  load(planId, opts) { return this.track(() => this.loadNow(planId, opts)); },

  async loadNow(planId, opts) {
    // The map and what this user may do on it (a manager or rep may request a change), fetched
    // together before any state changes; a load overtaken by a later one is dropped.
    const token = (this.loading = (this.loading || 0) + 1);
    const enc = encodeURIComponent(planId);
    let data, actions;
    for (let attempt = 0; ; attempt += 1) {
      const edits = this.editSeq;
      [data, actions] = await Promise.all([
        api("GET", `/plans/${enc}/map`),
        api("GET", `/plans/${enc}/permissions`).then((r) => r.actions).catch(() => []),
      ]);
      if (token !== this.loading) return;
      // An edit's answer that landed while this map was on its way is newer than the map:
      // fetch it again rather than roll the version, colours and locks back to older ones.
      const older = this.editSeq !== edits || (TP.plan && TP.plan.id === data.plan.id && data.plan.version < TP.plan.version);
      if (!older || attempt >= 2) break;
    }
    // Units selected while the map reloaded after an edit stay selected.
    const kept = opts && opts.keepSelection ? [...this.selected] : [];
    this.actions = actions;
    TP.mapData = data;
    TP.plan = data.plan;
    this.territories = {};
    this.colours = {};
    data.territories.forEach((t, i) => { this.territories[t.id] = t; this.colours[t.id] = territoryColour(i); });
    // Territories across the caller's borders (a rep's, a regional manager's): their names and
    // bordering units only, drawn grey, for change requests that take a unit in or give one away.
    this.neighbours = {};
    for (const n of data.neighbours || []) this.neighbours[n.id] = n;
    this.unitOf = {};
    for (const f of data.units.features) this.unitOf[f.id] = f.properties.territory;
    this.locked = new Set(data.locked || []);
    this.accounts = data.accounts.rows;
    this.selected.clear();
    this.canUndo = Boolean(data.can_undo);
    this.canRedo = Boolean(data.can_redo);
    this.renderBusy();
    this.draw(data);
    for (const u of kept) if (this.layers[u]) { this.selected.add(u); this.restyle(u); }
    this.renderLegend();
    this.renderTable();
    this.renderEditPanel();
    this.renderAccounts();
    if (!(opts && opts.keepMessage)) say("");
  },

  draw(data) {
    for (const layer of [this.unitLayer, this.outlineLayer, this.labelLayer, this.accountLayer]) {
      if (layer) this.map.removeLayer(layer);
    }
    this.layers = {};
    this.unitLayer = L.geoJSON(data.units, {
      style: (f) => this.unitStyle(f.id),
      onEachFeature: (f, layer) => {
        this.layers[f.id] = layer;
        layer.on("mouseover", () => this.showInfo(f.id));
        layer.on("click", (e) => { this.toggle(f.id, e.originalEvent.shiftKey || e.originalEvent.ctrlKey); this.showInfo(f.id); });
      },
    }).addTo(this.map);
    this.drawOutlines(data, data.plan.version);
    const cluster = L.markerClusterGroup({chunkedLoading: true, disableClusteringAtZoom: 9});
    const markers = data.accounts.rows.map((r) => {
      // not a tab stop each (thousands): the account table below is the keyboard's way in
      const m = L.marker([r[2], r[3]], {icon: ACCOUNT_ICON, title: r[1], alt: r[1], keyboard: false});
      m.bindPopup(() => `<strong>${escapeHtml(r[1])}</strong><br>${escapeHtml(r[0])}<br>potential ${fmt(r[5])}<br>revenue ${fmt(r[6])}<br>territory ${escapeHtml(this.nameOf(r[4]))}`);
      return m;
    });
    cluster.addTo(this.map);
    cluster.addLayers(markers);
    this.accountLayer = cluster;
    if (this.repLayer) this.map.removeLayer(this.repLayer);
    // Rep home bases: a house marker each (name and territories on hover/focus and click).
    this.repLayer = L.layerGroup((data.reps || []).map((r) => L.marker([r.lat, r.lon], {
      icon: L.divIcon({className: "rep-home", html: "<span aria-hidden='true'>&#8962;</span>", iconSize: [18, 18]}),
      // not a Tab stop (see the clusters above): the legend and table name each territory's rep
      title: `${r.name} — ${r.territories.join(", ")}`, alt: `Home base of ${r.name}`, keyboard: false,
    }).bindPopup(`<strong>${escapeHtml(r.name)}</strong><br>home base<br>territory ${escapeHtml(r.territories.join(", "))}`)
    )).addTo(this.map);
    if (this.layerControl) this.layerControl.remove();
    this.layerControl = L.control.layers(null, {"Accounts": cluster, "Rep home bases": this.repLayer}, {collapsed: false}).addTo(this.map);
    document.getElementById("map").dataset.reps = String((data.reps || []).length);
    const bounds = this.unitLayer.getBounds();
    if (bounds.isValid()) this.map.fitBounds(bounds, {padding: [10, 10]});
    document.getElementById("map").dataset.territories = String(data.territories.length);
    const across = data.units.features.filter((f) => f.properties.neighbour).length;
    document.getElementById("map").dataset.units = String(data.units.features.length - across);
    document.getElementById("map").dataset.neighbourUnits = String(across);
    document.getElementById("map").dataset.accounts = String(data.accounts.rows.length);
  },

  drawOutlines(data, version) {
    if (this.outlineLayer) this.map.removeLayer(this.outlineLayer);
    // each territory's outline and label as drawn, and the plan version it was drawn from
    this.outlineOf = {};
    this.outlineVersion = {};
    this.outlinesDrawnAt = version || 0;
    for (const t of data.territories) this.outlineOf[t.id] = t;
    const outlines = data.territories.filter((t) => t.outline).map(outlineFeature);
    this.outlineLayer = L.geoJSON({type: "FeatureCollection", features: outlines}, {
      interactive: false, style: {color: "#1a1a1a", weight: 2, fill: false},
    }).addTo(this.map);
    this.drawLabels(data.territories);
  },

  redrawOutlines(changed, version) {
    // After an edit: the borders of the territories it changed are replaced, the others stay.
    // An answer older than one already drawn for a territory (two quick edits) is not drawn.
    const fresh = changed.filter((t) => (this.outlineVersion[t.id] || this.outlinesDrawnAt) <= version);
    const ids = new Set(fresh.map((t) => t.id));
    for (const t of fresh) { this.outlineOf[t.id] = t; this.outlineVersion[t.id] = version; }
    this.outlineLayer.eachLayer((layer) => { if (ids.has(layer.feature.id)) this.outlineLayer.removeLayer(layer); });
    for (const t of fresh) if (t.outline) this.outlineLayer.addData(outlineFeature(t));
    this.drawLabels(Object.values(this.outlineOf));
  },

  drawLabels(territories) {
    if (this.labelLayer) this.map.removeLayer(this.labelLayer);
    // Hundreds of territories (a country's ZIPs): the biggest first, overlapping ones left out;
    // a few dozen keep the plan's order (a screen reader meets them as the legend lists them).
    const size = (t) => ((this.territories[t.id] || {}).balance || {}).units || 0;
    const labelled = territories.filter((t) => t.label);
    if (labelled.length > LABELS_ALL_UP_TO) labelled.sort((a, b) => size(b) - size(a));
    this.labels = labelled.map((t) => ({
      latlng: L.latLng(t.label), name: t.name, marker: L.marker(t.label, {
        interactive: false, keyboard: false,
        icon: L.divIcon({className: "territory-label", html: escapeHtml(t.name), iconSize: null}),
      })}));
    this.labelLayer = L.layerGroup().addTo(this.map);
    this.placeLabels();
  },

  placeLabels() {
    if (!this.labelLayer) return;
    document.getElementById("map").dataset.labels = String(TPLabels.place(this.map, this.labelLayer, this.labels));
  },

  unitStyle(unitId) {
    const selected = this.selected.has(unitId);
    const locked = this.locked.has(unitId);
    if (this.neighbours[this.unitOf[unitId]]) {  // across the border: grey, dotted edge
      return {fillColor: "#9e9e9e", fillOpacity: selected ? 0.8 : 0.3, color: selected ? "#000" : "#616161",
        weight: selected ? 2.5 : 0.6, dashArray: selected ? null : "2 3"};
    }
    // Locked units: a dashed black border (marked on the map and in the legend).
    return {
      fillColor: this.colours[this.unitOf[unitId]] || "#ccc", fillOpacity: selected ? 0.9 : 0.6,
      color: selected || locked ? "#000" : "#ffffff", weight: selected ? 2.5 : locked ? 1.8 : 0.4,
      dashArray: locked ? "4 3" : null,
    };
  },

  unitName(unitId) {
    const p = this.layers[unitId] ? this.layers[unitId].feature.properties : {name: unitId};
    return p.state ? `${p.name}, ${p.state}` : p.name;
  },

  nameOf(territoryId) { return (this.territories[territoryId] || this.neighbours[territoryId] || {name: territoryId}).name; },

  showInfo(unitId) {
    const t = this.territories[this.unitOf[unitId]];
    const f = this.layers[unitId].feature;
    const info = document.getElementById("info");
    info.replaceChildren(el("strong", {}, `${f.properties.name}, ${f.properties.state || ""}`), " ", `(${unitId})`,
      this.locked.has(unitId) ? " — locked" : "");
    const across = this.neighbours[this.unitOf[unitId]];
    if (across) { info.append(el("br"), `Territory: ${across.name} (across your border)`); return; }
    if (!t) return;
    const owners = t.owners.map((o) => o.name).join(", ") || "no owner";
    info.append(el("br"), `Territory: ${t.name}`, el("br"), `Rep: ${owners}`);
    if (t.balance) {
      for (const [metric, total] of Object.entries(t.balance.totals)) {
        const deviation = t.balance.deviation[metric];
        info.append(el("br"), `${metric}: ${fmt(total)}${deviation === undefined ? "" : ` (${pct(deviation)})`}`);
      }
      if (t.balance.unchecked) info.append(el("br"), `Not balance-checked: ${t.balance.unchecked}`);
      info.append(el("br"), `units: ${t.balance.units}`);
    }
  },

  toggle(unitId, add) {
    if (!add) { const before = [...this.selected]; this.selected.clear(); before.forEach((u) => this.restyle(u)); }
    if (this.selected.has(unitId)) this.selected.delete(unitId); else this.selected.add(unitId);
    this.restyle(unitId);
    this.renderSelection();
  },

  clearSelection() {
    const before = [...this.selected];
    this.selected.clear();
    before.forEach((u) => this.restyle(u));
    this.renderSelection();
  },

  restyle(unitId) { if (this.layers[unitId]) this.layers[unitId].setStyle(this.unitStyle(unitId)); },

  selectBySearch(text) {
    const query = text.trim().toLowerCase();
    if (!query) return;
    const match = Object.values(this.layers).find((l) => l.feature.id.toLowerCase() === query)
      || Object.values(this.layers).find((l) => `${l.feature.properties.name}, ${l.feature.properties.state}`.toLowerCase().startsWith(query));
    if (!match) { say(`no unit ${text} on this map`, "error"); return; }
    this.selected.add(match.feature.id);
    this.restyle(match.feature.id);
    this.renderSelection();
    this.showInfo(match.feature.id);
    document.getElementById("unit-search").value = "";
  },

  installBoxSelect() {
    const map = this.map;
    let start = null, rect = null;
    map.on("mousedown", (e) => {
      if (!e.originalEvent.shiftKey) return;
      map.dragging.disable();
      start = e.latlng;
      rect = L.rectangle([start, start], {color: "#000", weight: 1, dashArray: "4", fill: false, interactive: false}).addTo(map);
    });
    map.on("mousemove", (e) => { if (start) rect.setBounds([start, e.latlng]); });
    map.on("mouseup", () => {
      if (!start) return;
      const bounds = rect.getBounds();
      map.removeLayer(rect);
      start = null; rect = null;
      map.dragging.enable();
      for (const [id, layer] of Object.entries(this.layers)) {
        if (bounds.contains(layer.getBounds().getCenter())) { this.selected.add(id); this.restyle(id); }
      }
      this.renderSelection();
    });
  },

  renderSelection() {
    const n = this.selected.size;
    const text = n === 0 ? "No unit selected. Click units (shift-drag a box to select many), or type a name or id below."
      : n <= 5 ? "Selected: " + [...this.selected].map((u) => `${this.layers[u].feature.properties.name} (${this.nameOf(this.unitOf[u])})`).join("; ")
      : `${n} units selected`;
    for (const id of ["selection", "request-selection"]) {
      const node = document.getElementById(id);
      node.textContent = text;
      node.dataset.count = String(n);
    }
  },

  renderEditPanel() {
    const status = TP.plan.status;
    const editable = canPlan() && status === "draft";
    document.getElementById("edit-panel").hidden = !editable;
    // Managers and reps propose moves on a plan still being worked on; a planner decides.
    const requestable = !editable && (this.actions || []).includes("request_change") && (status === "draft" || status === "in_review");
    document.getElementById("request-panel").hidden = !requestable;
    const info = document.getElementById("info");
    if (canPlan() && !editable) {
      const how = status === "in_review" || status === "approved"
        ? "send it back to draft (Workflow) to edit it, or copy it"
        : "copy it (Workflow) to edit a scenario of it";
      info.textContent = `This plan is ${status.replace("_", " ")}: ${how}.`;
    } else {
      info.textContent = "Hover or click an area (a county, a ZIP code), or select one by name or id.";
    }
    const options = () => Object.values(this.territories).map((t) => el("option", {value: t.id}, t.name));
    const across = Object.values(this.neighbours || {});
    // A reload (a stale edit, an unpin, an accepted request) keeps the territory chosen, as it
    // keeps the selection: "try again" must not go to the list's first territory instead.
    const refill = (id, children) => {
      const select = document.getElementById(id);
      const chosen = select.value;
      select.replaceChildren(...children);
      if (chosen && [...select.options].some((o) => o.value === chosen)) select.value = chosen;
    };
    refill("request-target", across.length
      ? [el("optgroup", {label: "Yours"}, ...options()),
         el("optgroup", {label: "Across your border"}, ...across.map((n) => el("option", {value: n.id}, n.name)))]
      : options());
    refill("move-target", options());
    document.getElementById("unit-list").replaceChildren(...Object.values(this.layers).slice(0, 5000).map((l) => el("option", {value: l.feature.id}, `${l.feature.properties.name}, ${l.feature.properties.state}`)));
    this.renderSelection();
  },

  renderLegend() {
    document.getElementById("legend").replaceChildren(...Object.values(this.territories).map((t) => el("li", {"data-territory": t.id},
      el("span", {class: "swatch", style: `background:${this.colours[t.id]}`}), ` ${t.name}`,
      el("span", {class: "muted"}, t.owners.length ? ` — ${t.owners.map((o) => o.name).join(", ")}` : ""))),
      el("li", {"data-legend": "locked"}, el("span", {class: "swatch locked-swatch"}), " Locked unit (dashed border)"),
      el("li", {"data-legend": "reps"}, el("span", {class: "rep-home legend-icon", "aria-hidden": "true"}, "\u2302"), " Rep home base"),
      ...(Object.keys(this.neighbours || {}).length ? [el("li", {"data-legend": "neighbour"}, el("span", {class: "swatch neighbour-swatch"}),
        " Across your border (units you may ask to take in): " + Object.values(this.neighbours).map((n) => n.name).join(", "))] : []));
  },

  metrics() {
    const first = Object.values(this.territories).find((t) => t.balance);
    return first ? Object.keys(first.balance.totals) : [];
  },

  renderTable() {
    const metrics = this.metrics();
    const table = document.getElementById("territory-table");
    const head = (text) => el("th", {scope: "col"}, text);
    table.tHead.replaceChildren(el("tr", {}, head("Territory"), head("Rep"), head("Units"),
      ...metrics.map(head), ...metrics.map((m) => head(`${m} balance`)), head("Pieces"), head("Units moved")));
    table.tBodies[0].replaceChildren(...Object.values(this.territories).map((t) => this.row(t, metrics)));
  },

  row(t, metrics) {
    const b = t.balance || {totals: {}, deviation: {}, within_tolerance: {}, units: 0, pieces: "", units_moved: ""};
    // A territory the plan's balance check leaves out (named, or an oversize unit's own) says why.
    const balance = b.unchecked
      ? [el("td", {colspan: String(metrics.length || 1), class: "muted", "data-unchecked": "true"}, `not checked: ${b.unchecked}`)]
      : metrics.map((m) => el("td", {}, balanceBar(b.deviation[m], b.within_tolerance[m])));
    return el("tr", {"data-territory": t.id},
      el("th", {scope: "row"}, el("span", {class: "swatch", style: `background:${this.colours[t.id]}`}), " ", t.name),
      el("td", {}, t.owners.map((o) => o.name).join(", ") || el("span", {class: "muted"}, "no owner")),
      el("td", {class: "num", "data-metric": "units"}, b.units),
      ...metrics.map((m) => el("td", {class: "num", "data-metric": m, "data-value": String(b.totals[m])}, fmt(b.totals[m]))),
      ...balance,
      el("td", {class: "num"}, b.pieces), el("td", {class: "num"}, b.units_moved));
  },

  async requestChange() {
    const units = [...this.selected];
    if (!units.length) { say("select at least one unit first", "error"); return; }
    const to = document.getElementById("request-target").value;
    const reason = document.getElementById("request-reason").value.trim();
    // "Adams County, CO": there are many Adams Counties (the Workflow list names the state too)
    const names = units.map((u) => this.unitName(u)).join("; ");
    await api("POST", `/plans/${encodeURIComponent(TP.plan.id)}/comments`, {
      body: reason || `Please move ${names} to ${this.nameOf(to)}.`,
      target_kind: "territory", target_id: to,
      proposed_edit: {op: "move_units", units, to},
    });
    document.getElementById("request-reason").value = "";
    this.clearSelection();
    say(`Change request sent: move ${names} to ${this.nameOf(to)}. A planner decides (Workflow).`);
  },

  applyResult(result) {
    // Re-colour and re-tabulate from the edit's answer alone (no reload of the plan).
    const started = performance.now();
    this.editSeq += 1;  // a map fetched before this answer is older than it (loadNow)
    TP.plan.version = result.version;
    const moved = Object.keys(result.units || {});
    // the territories whose borders move: those the units left and those they joined
    const changed = new Set();
    for (const [unitId, to] of Object.entries(result.units || {})) {
      if (this.unitOf[unitId]) changed.add(this.unitOf[unitId]);
      if (to !== null) changed.add(to);
    }
    for (const [unitId, to] of Object.entries(result.units || {})) this.unitOf[unitId] = to === null ? undefined : to;
    const relock = new Set([...this.locked, ...(result.locked || [])]);
    this.locked = new Set(result.locked || []);
    for (const row of this.accounts) {
      if (result.accounts && row[0] in result.accounts) {
        const to = result.accounts[row[0]];
        row[7] = to === null ? 0 : 1;
        if (to !== null) row[4] = to;
      }
    }
    for (const e of result.effects) {
      if (this.territories[e.territory]) this.territories[e.territory].balance = e;
    }
    const metrics = this.metrics();
    const tbody = document.getElementById("territory-table").tBodies[0];
    for (const e of result.effects) {
      const old = tbody.querySelector(`tr[data-territory="${CSS.escape(e.territory)}"]`);
      if (old && this.territories[e.territory]) old.replaceWith(this.row(this.territories[e.territory], metrics));
    }
    const before = [...this.selected];
    this.selected.clear();
    for (const u of new Set([...before, ...moved, ...relock])) this.restyle(u);
    this.renderSelection();
    if (moved.length && this.layers[moved[0]]) this.showInfo(moved[0]);
    this.canUndo = Boolean(result.can_undo);
    this.canRedo = Boolean(result.can_redo);
    this.renderBusy();
    const table = document.getElementById("territory-table");
    table.dataset.version = String(result.version);
    table.dataset.updateMs = (performance.now() - started).toFixed(1);
    if (result.accounts && Object.keys(result.accounts).length) this.renderAccounts();
    const unpinned = Object.values(result.accounts || {}).some((t) => t === null);
    if (unpinned || (result.territories_changed && result.territories_changed.length)) {
      // An unpinned account follows its unit again, a renamed territory shows everywhere: reload.
      // The edit buttons wait for it (renderBusy), and units selected meanwhile stay selected.
      return this.load(TP.plan.id, {keepMessage: true, keepSelection: true});
    }
    if (moved.length) this.refreshOutlines([...changed]);
    return Promise.resolve();
  },

  async move() {
    const units = [...this.selected];
    if (!units.length) { say("select at least one unit first", "error"); return; }
    const to = document.getElementById("move-target").value;
    // Refused by the server anyway (422): said here, without the request.
    if (units.every((u) => this.unitOf[u] === to)) {
      say(`Nothing to move: ${units.length === 1 ? `${this.unitName(units[0])} is` : "the selected units are"} in ${this.nameOf(to)} already.`, "error");
      return;
    }
    const result = await api("POST", `/plans/${encodeURIComponent(TP.plan.id)}/edits`,
      {edit: {op: "move_units", units, to}, version: TP.plan.version});
    // The answer is applied at once; a reload it needs (a rename, an unpin) is awaited after
    // saying what was done, and the buttons stay disabled until it is drawn.
    const reload = this.applyResult(result);
    say(`Moved ${units.length} unit(s) to ${this.nameOf(to)}; plan version ${result.version}.${this.notesOf(result)}`);
    await reload;
  },

  async lock(op) {
    const units = [...this.selected];
    if (!units.length) { say("select at least one unit first", "error"); return; }
    const result = await api("POST", `/plans/${encodeURIComponent(TP.plan.id)}/edits`,
      {edit: {op, units}, version: TP.plan.version});
    const reload = this.applyResult(result);
    say(`${op === "lock" ? "Locked" : "Unlocked"} ${units.length} unit(s); plan version ${result.version}.`);
    await reload;
  },

  async pin(accountId, to) {
    const result = await api("POST", `/plans/${encodeURIComponent(TP.plan.id)}/edits`,
      {edit: {op: "move_accounts", accounts: [accountId], to}, version: TP.plan.version});
    const row = this.accounts.find((r) => r[0] === accountId);
    const name = row ? row[1] : accountId;
    const reload = this.applyResult(result);  // an unpin reloads the map (seconds)
    say(to ? `Pinned ${name} to ${this.nameOf(to)}; plan version ${result.version}.` : `Unpinned ${name}: it follows its unit again; plan version ${result.version}.`);
    await reload;
  },

  renderAccounts() {
    // The account table: search by name, pin to the territory chosen under "To territory".
    const query = document.getElementById("account-search").value.trim().toLowerCase();
    const rows = (query ? this.accounts.filter((r) => r[1].toLowerCase().includes(query)) : this.accounts.filter((r) => r[7])).slice(0, 25);
    const editable = canPlan() && TP.plan && TP.plan.status === "draft";
    const body = document.getElementById("account-table").tBodies[0];
    body.replaceChildren(...rows.map((r) => el("tr", {"data-account": r[0]},
      el("td", {role: "rowheader"}, r[1]), el("td", {}, this.nameOf(r[4])), el("td", {class: "num"}, fmt(r[5])),
      el("td", {}, r[7] ? "pinned" : ""),
      el("td", {}, editable ? el("button", {type: "button", class: "pin", onclick: () => this.edit(() => this.pin(r[0], document.getElementById("move-target").value))},
        `Pin to ${this.nameOf(document.getElementById("move-target").value)}`) : "",
      editable && r[7] ? el("button", {type: "button", class: "unpin", onclick: () => this.edit(() => this.pin(r[0], null))}, "Unpin") : ""))));
    this.renderBusy();  // new Pin buttons wait for an edit or reload in flight too
    const matching = query ? this.accounts.filter((r) => r[1].toLowerCase().includes(query)).length : 0;
    document.getElementById("account-count").textContent = query
      ? `${matching.toLocaleString()} accounts match “${query}”${matching > rows.length ? `; the first ${rows.length} are shown` : ""}` : `${rows.length} pinned account(s); type a name to find others`;
  },

  async undoRedo(direction) {
    const result = await api("POST", `/plans/${encodeURIComponent(TP.plan.id)}/${direction}`, {version: TP.plan.version});
    // The answer says which units and accounts changed hands: re-colour them, no reload.
    const reload = this.applyResult(result);
    say(`${direction === "undo" ? "Undone" : "Redone"}; plan version ${result.version}.${this.notesOf(result)}`);
    await reload;
  },

  notesOf(result) {
    // What the edit did not do, said plainly (e.g. hand-saved rules it leaves as they are).
    return (result.notes || []).map((n) => ` Note: ${sentence(forTheUi(n))}`).join("");
  },

  async refreshOutlines(territories) {
    // Borders and labels are redrawn from the server's dissolve after the colours and table:
    // only those of the territories the edit changed (a country's 500 outlines are megabytes).
    const planId = TP.plan.id;
    const only = territories && territories.length <= OUTLINES_ASKED_UP_TO && this.outlineLayer;
    const query = only ? "?" + territories.map((t) => `territories=${encodeURIComponent(t)}`).join("&") : "";
    const data = await api("GET", `/plans/${encodeURIComponent(planId)}/outlines${query}`);
    if (TP.plan.id !== planId) return;
    const names = Object.fromEntries(Object.values(this.territories).map((t) => [t.id, t.name]));
    const named = data.territories.map((t) => ({...t, name: names[t.id] || t.id}));
    if (only) this.redrawOutlines(named, data.version);
    else this.drawOutlines({territories: named}, data.version);
    const map = document.getElementById("map");
    map.dataset.outlinesVersion = String(data.version);
    map.dataset.outlinesAsked = only ? String(territories.length) : "all";
  },
};

function outlineFeature(t) {
  return {type: "Feature", id: t.id, properties: {}, geometry: t.outline};
}

function balanceBar(deviation, within) {
  if (deviation === undefined || deviation === null) return "";
  const clamped = Math.max(-0.5, Math.min(0.5, deviation));
  const bar = el("span", {class: "bar " + (within ? "ok" : "off"), role: "img", "aria-label": `${pct(deviation)} from the target${within ? ", within tolerance" : ", outside tolerance"}`});
  const fill = el("span", {class: "fill"});
  fill.style.left = clamped < 0 ? `${50 + clamped * 100}%` : "50%";
  fill.style.width = `${Math.abs(clamped) * 100}%`;
  bar.append(fill);
  return el("span", {class: "balance"}, bar, " ", pct(deviation));
}

function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}
