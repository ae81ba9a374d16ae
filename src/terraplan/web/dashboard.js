"use strict";
// Dashboard: KPIs by territory, rep or region and period, drawn as small inline SVG charts
// (attainment, pipeline coverage, monthly trend, balance against the plan's tolerance band),
// each followed by a table of the same figures; alerts and the realignment recommendation;
// drill-down region -> territory -> the territory's page (its prioritised accounts).

const SVG_NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  for (const c of children) node.append(c instanceof Node ? c : String(c ?? ""));
  return node;
}

// Charts are drawn in a fixed coordinate box (viewBox) and scale with the page.
const TPChart = {
  // Horizontal bars, one per row: rows [{label, value}], opts {format, reference, band: [lo, hi], colour}.
  // opts.label names the chart for screen readers (role=img needs a name; the bars' titles are
  // not read as one).
  bars(rows, opts) {
    const o = Object.assign({format: fmt, colour: "#0072B2"}, opts || {});
    const labelW = 170, valueW = 70, width = 640, barH = 18, gap = 6, top = 6;
    const plotW = width - labelW - valueW;
    const values = rows.map((r) => (typeof r.value === "number" && isFinite(r.value) ? r.value : 0));
    const extent = [o.reference, ...(o.band || [])].filter((v) => typeof v === "number");
    const max = Math.max(1e-9, ...values.map(Math.abs), ...extent.map(Math.abs));
    const x = (v) => labelW + (plotW * Math.max(0, v)) / max;
    const height = top + rows.length * (barH + gap) + 4;
    const chart = svg("svg", {viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", class: "svg-chart",
      "aria-label": o.label || "Bar chart (the same figures are in the table below)"});
    if (o.band) {
      chart.append(svg("rect", {x: x(o.band[0]), y: 0, width: Math.max(1, x(o.band[1]) - x(o.band[0])), height, fill: "#d9f0d9", class: "band"}));
    }
    rows.forEach((r, i) => {
      const y = top + i * (barH + gap);
      const v = values[i];
      chart.append(
        svg("text", {x: labelW - 6, y: y + barH * 0.75, "text-anchor": "end", "font-size": 12}, r.label),
        svg("rect", {x: labelW, y, width: Math.max(0, x(v) - labelW), height: barH, fill: r.colour || o.colour, class: "hbar", "data-key": r.key ?? r.label},
          svg("title", {}, `${r.label}: ${o.format(r.value)}`)),
        svg("text", {x: labelW + plotW + 6, y: y + barH * 0.75, "font-size": 12, class: "bar-value"}, o.format(r.value)));
    });
    if (typeof o.reference === "number") {
      chart.append(svg("line", {x1: x(o.reference), x2: x(o.reference), y1: 0, y2: height, stroke: "#1a1a1a", "stroke-dasharray": "4 3"}));
    }
    return chart;
  },

  // A line through points [{label, value}] (in order), with the first and last labels shown.
  line(points, opts) {
    const o = Object.assign({format: fmt}, opts || {});
    const width = 640, height = 200, left = 60, right = 10, top = 10, bottom = 24;
    const values = points.map((p) => (typeof p.value === "number" ? p.value : 0));
    const max = Math.max(1e-9, ...values), min = Math.min(0, ...values);
    const x = (i) => left + ((width - left - right) * i) / Math.max(1, points.length - 1);
    const y = (v) => top + (height - top - bottom) * (1 - (v - min) / (max - min || 1));
    const chart = svg("svg", {viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", class: "svg-chart",
      "aria-label": o.label || "Line chart (the same figures are in the table below)"});
    chart.append(
      svg("line", {x1: left, x2: width - right, y1: y(min), y2: y(min), stroke: "#999"}),
      svg("text", {x: left - 4, y: y(max) + 4, "text-anchor": "end", "font-size": 11}, o.format(max)),
      svg("text", {x: left - 4, y: y(min) + 4, "text-anchor": "end", "font-size": 11}, o.format(min)),
      svg("polyline", {points: values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" "), fill: "none", stroke: "#0072B2", "stroke-width": 2}));
    values.forEach((v, i) => chart.append(svg("circle", {cx: x(i), cy: y(v), r: 3, fill: "#0072B2", class: "point"},
      svg("title", {}, `${points[i].label}: ${o.format(v)}`))));
    if (points.length) {
      chart.append(svg("text", {x: x(0), y: height - 6, "font-size": 11}, points[0].label),
        svg("text", {x: x(points.length - 1), y: height - 6, "font-size": 11, "text-anchor": "end"}, points[points.length - 1].label));
    }
    return chart;
  },

  // A table of the same figures: columns [{key, label, format}]; the first column heads each
  // row (scope=row), so a screen reader says a figure with its territory and its column.
  // caption (optional) names the table for screen readers (the heading above shows it).
  table(rows, columns, attrs, caption) {
    return el("table", attrs || {},
      ...(caption ? [el("caption", {class: "visually-hidden"}, caption)] : []),
      el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", {scope: "col"}, c.label)))),
      el("tbody", {}, ...rows.map((r) => el("tr", {"data-key": r.key ?? ""},
        ...columns.map((c, i) => el(i ? "td" : "th", {class: i && typeof r[c.key] === "number" ? "num" : "", "data-col": c.key, ...(i ? {} : {scope: "row"})}, (c.format || fmt)(r[c.key])))))));
  },
};

function ratio(value) {
  return value === null || value === undefined || !isFinite(value) ? "" : (value * 100).toFixed(1) + " %";
}

const TPDashboard = {
  dimension: "territory", period: "YTD", region: null,

  init() {
    document.getElementById("db-by").addEventListener("change", (e) => { this.dimension = e.target.value; this.region = null; this.refresh().catch((err) => say(err.message, "error")); });
    document.getElementById("db-period").addEventListener("change", (e) => { this.period = e.target.value; this.refresh().catch((err) => say(err.message, "error")); });
    if ((TP.config.fiscal_year_start || 1) !== 1) {  // quarters, years and YTD are fiscal ones: say so
      const names = {YTD: "fiscal year to date", quarter: "this fiscal quarter", year: "this fiscal year"};
      for (const option of document.querySelectorAll("#db-period option")) option.textContent = names[option.value] || option.textContent;
    }
    if (!canPlan() && TP.config.user.role !== "manager") {
      document.querySelector("#db-by option[value=region]").remove();
    }
  },

  // Names for keys: territories (map data), reps (owners in the map data), regions (plan).
  async names() {
    const names = {};
    for (const t of (TP.mapData ? TP.mapData.territories : [])) {
      names[t.id] = t.name;
      for (const o of t.owners) names[o.rep_id || o.id] = o.name;
    }
    if (!this.plan || this.plan.id !== TP.plan.id || this.plan.version !== TP.plan.version) {
      this.plan = await api("GET", `/plans/${encodeURIComponent(TP.plan.id)}`);
    }
    for (const t of this.plan.territories) names[t.id] = names[t.id] || t.name;
    return names;
  },

  // Leaf territories under a region (any depth of the plan's hierarchy).
  territoriesIn(regionId) {
    const children = {};
    for (const t of this.plan.territories) (children[t.parent_id] = children[t.parent_id] || []).push(t.id);
    const out = new Set();
    const walk = (id) => { for (const c of children[id] || []) { if (children[c]) walk(c); else out.add(c); } };
    walk(regionId);
    return out;
  },

  // Each change of plan, dimension, period or region starts a refresh; only the latest one
  // draws (an earlier, slower answer would show another period's figures under this one's name).
  async refresh() {
    const ticket = (this.ticket = (this.ticket || 0) + 1);
    const stale = () => ticket !== this.ticket;
    const planId = encodeURIComponent(TP.plan.id);
    const period = this.period;
    const names = await this.names();
    if (stale()) return;
    // A plan whose territories have no parent has no regions: not offered, not asked for.
    const regionOption = document.querySelector("#db-by option[value=region]");
    const hasRegions = this.plan.territories.some((t) => t.parent_id);
    if (regionOption) {
      regionOption.disabled = !hasRegions;
      regionOption.textContent = hasRegions ? "region" : "region (this plan has none)";
    }
    if (!hasRegions && this.dimension === "region") {
      this.dimension = "territory";
      document.getElementById("db-by").value = "territory";
    }
    const dim = this.region ? "territory" : this.dimension;
    const kpis = await api("GET", `/plans/${planId}/kpis?by=${dim}&period=${encodeURIComponent(period)}`);
    if (stale()) return;
    let rows = kpis.rows;
    // A grain ("quarter", "year") answers every such period: show the latest one.
    const latest = rows.reduce((m, r) => (r.period_start && r.period_start > m ? r.period_start : m), "");
    if (latest) rows = rows.filter((r) => !r.period_start || r.period_start === latest);
    const shownLabel = rows.length ? rows[0].period : kpis.period;
    const shownPeriod = (kpis.period_titles || {})[shownLabel] || shownLabel;
    if (this.region) {
      const inside = this.territoriesIn(this.region);
      rows = rows.filter((r) => inside.has(r.key));
    }
    const label = (key) => names[key] || key;
    document.getElementById("db-scope").replaceChildren(
      this.region ? el("span", {}, `Territories of ${label(this.region)} `, el("button", {type: "button", onclick: () => { this.region = null; this.dimension = "region"; this.refresh(); }}, "Back to regions")) : "",
      el("span", {class: "muted"}, ` ${shownPeriod}, as of ${kpis.as_of || "the last data"}; alignment: ${kpis.alignment_source}.`),
      ...this.notes(kpis.notes || [], rows).map((n) => el("p", {class: "kpi-note"}, `Note: ${sentence(forTheUi(n))}`)));
    this.renderTable(rows, dim, label);
    this.renderMain(rows, label);
    this.renderCoverage(rows, label);
    await this.renderTrend(dim, rows, stale);
    await this.renderBalance(stale);
    await this.renderAlerts(stale);
    if (stale()) return;
    document.getElementById("view-dashboard").dataset.loaded = `${TP.plan.id}:${dim}:${period}`;
  },

  // The API's notes speak of every period it answered; the growth one is said here of the
  // period on screen only (a grain answers earlier years too, whose prior year may be unknown).
  notes(notes, rows) {
    const kept = notes.filter((n) => !n.startsWith("growth is empty"));
    if (rows.some((r) => r.revenue_prior_year === null)) {
      kept.push("growth is empty where the same dates a year earlier start before the sales history: last year's revenue there is unknown");
    }
    return kept;
  },

  // Shares read as percentages (growth -12.0 %, not -0.12); coverage as a multiple (3.0×).
  figure(column, value, row) {
    if (["revenue_growth", "attainment", "win_rate", "penetration"].includes(column)) return ratio(value);
    if (column === "pipeline_coverage") {
      // no gap left to cover: the target is met already
      if ((value === null || value === undefined) && row && row.target > 0 && row.revenue >= row.target) return "target met";
      return coverage(value);
    }
    return fmt(value);
  },

  renderTable(rows, dim, label) {
    // Won amounts by the deal's type (the CRM's Type or Deal Type), as `terraplan kpis --kpi
    // new_business_won --kpi existing_business_won` gives them: shown once some deal has a type.
    const byType = ["new_business_won", "existing_business_won"];
    const typed = rows.some((r) => byType.some((c) => typeof r[c] === "number" && r[c] !== 0));
    const wanted = ["revenue", "revenue_growth", "target", "attainment", "open_pipeline", "pipeline_coverage",
      "win_rate", ...(typed ? byType : []), "account_count", "potential", "penetration", "whitespace"];
    const cols = wanted.filter((c) => rows.some((r) => c in r));
    const table = document.getElementById("kpi-table");
    // Potential here is the period's share of the yearly potential (the map shows a year's).
    const heading = (c) => c === "potential" ? "potential (period share)" : c.replaceAll("_", " ");
    table.tHead.replaceChildren(el("tr", {}, el("th", {scope: "col"}, dim), ...cols.map((c) => el("th", {scope: "col"}, heading(c)))));
    document.getElementById("kpi-caption").textContent = `KPIs by ${dim}`;
    table.tBodies[0].replaceChildren(...rows.map((r) => {
      let cell = label(r.key);
      if (dim === "region") cell = el("button", {type: "button", class: "link", onclick: () => { this.region = r.key; this.refresh().catch((e) => say(e.message, "error")); }}, label(r.key));
      if (dim === "territory") cell = el("a", {href: `#plan=${encodeURIComponent(TP.plan.id)}&territory=${encodeURIComponent(r.key)}`, onclick: (e) => { e.preventDefault(); TPPages.openTerritory(r.key); }}, label(r.key));
      return el("tr", {"data-key": r.key}, el("td", {role: "rowheader"}, cell), ...cols.map((c) => el("td", {class: "num", "data-col": c}, this.figure(c, r[c], r))));
    }));
  },

  // Attainment when the plan has targets, else revenue, else potential.
  renderMain(rows, label) {
    const metric = ["attainment", "revenue", "potential"].find((c) => rows.some((r) => typeof r[c] === "number"));
    const chart = document.getElementById("kpi-chart");
    chart.replaceChildren();
    delete chart.dataset.metric;
    if (!metric) { chart.append(el("p", {class: "muted"}, "No figures for this period.")); return; }
    chart.dataset.metric = metric;
    const format = metric === "attainment" ? ratio : fmt;
    const points = rows.map((r) => ({key: r.key, label: label(r.key), value: r[metric]}));
    const title = metric === "attainment" ? "Attainment (actual / target; dashed line: 100 %)" : `${metric.replaceAll("_", " ")} (no targets for this plan)`;
    chart.append(el("h3", {}, title),
      TPChart.bars(points, {format, reference: metric === "attainment" ? 1 : undefined, label: `${title}, by ${this.dimension}`}),
      TPChart.table(points.map((p) => ({key: p.key, name: p.label, value: p.value})),
        [{key: "name", label: this.dimension, format: String}, {key: "value", label: metric.replaceAll("_", " "), format}], {class: "chart-table", "data-metric": metric}, `${title}: the chart's figures`));
  },

  renderCoverage(rows, label) {
    const box = document.getElementById("db-coverage");
    const points = rows.filter((r) => typeof r.pipeline_coverage === "number").map((r) => ({key: r.key, label: label(r.key), value: r.pipeline_coverage, pipeline: r.open_pipeline}));
    if (!points.length) { box.replaceChildren(el("h3", {}, "Pipeline coverage"), el("p", {class: "muted"}, "No targets, so no pipeline coverage (open pipeline / remaining target).")); return; }
    box.replaceChildren(el("h3", {}, "Pipeline coverage (open pipeline / remaining target; dashed: 3×)"),
      TPChart.bars(points, {format: coverage, reference: 3, colour: "#009E73", label: "Pipeline coverage (open pipeline / remaining target)"}),
      TPChart.table(points.map((p) => ({key: p.key, name: p.label, value: p.value, pipeline: p.pipeline})),
        [{key: "name", label: this.dimension, format: String}, {key: "value", label: "coverage", format: coverage}, {key: "pipeline", label: "open pipeline"}], {class: "chart-table"},
        "Pipeline coverage: the chart's figures"));
  },

  // Revenue per month, summed over the rows shown (the whole plan for planners).
  async renderTrend(dim, shown, stale = () => false) {
    const box = document.getElementById("db-trend");
    const kpis = await api("GET", `/plans/${encodeURIComponent(TP.plan.id)}/kpis?by=${dim}&period=month`);
    if (stale()) return;
    const keys = new Set(shown.map((r) => r.key));
    const byMonth = new Map();
    for (const r of kpis.rows) {
      if (!keys.has(r.key)) continue;
      byMonth.set(r.period, (byMonth.get(r.period) || 0) + (Number(r.revenue) || 0));
    }
    const points = [...byMonth.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).slice(-24).map(([label, value]) => ({key: label, label, value}));
    box.replaceChildren(el("h3", {}, "Revenue trend by month (last 24 months)"));
    if (!points.length) { box.append(el("p", {class: "muted"}, "No revenue yet.")); return; }
    box.append(TPChart.line(points, {label: `Revenue by month, ${points[0].label} to ${points[points.length - 1].label}`}),
      el("details", {}, el("summary", {}, "Table of the same figures"),
        TPChart.table(points.map((p) => ({key: p.key, month: p.label, value: p.value})),
          [{key: "month", label: "month", format: String}, {key: "value", label: "revenue"}], {class: "chart-table"}, "Revenue by month")));
  },

  // Deviation from each territory's balance target, against the plan's own tolerance band.
  async renderBalance(stale = () => false) {
    const box = document.getElementById("db-balance");
    const balance = await api("GET", `/plans/${encodeURIComponent(TP.plan.id)}/balance`);
    if (stale()) return;
    box.replaceChildren(el("h3", {}, `Balance against the plan's tolerance band (${balance.source})`));
    // what the bars leave out or count as 0 (a design metric that is no account sum, a metric
    // no account carries), as `terraplan kpis --balance` says it
    for (const text of balance.notes || []) box.append(el("p", {class: "muted note"}, `Note: ${text}`));
    const metrics = Object.keys(balance.tolerances);
    if (!metrics.length || !balance.rows.length) { box.append(el("p", {class: "muted"}, "No balance criteria to check.")); return; }
    for (const metric of metrics) {
      const rows = balance.rows.filter((r) => r.metric === metric);
      const tol = balance.tolerances[metric];
      // value / target as a ratio; the band is 1 ± tolerance
      const points = rows.map((r) => ({key: r.territory_id, label: r.territory, value: r.mean ? r.value / r.mean : null,
        colour: r.within_tolerance ? "#009E73" : "#D55E00"}));
      box.append(el("h4", {}, `${metric}: ±${(tol * 100).toFixed(0)} % (green band; orange bars are outside)`),
        TPChart.bars(points, {format: ratio, reference: 1, band: [1 - tol, 1 + tol], label: `Balance of ${metric} by territory against the ±${(tol * 100).toFixed(0)} % band`}),
        TPChart.table(rows.map((r) => ({key: r.territory_id, name: r.territory, value: r.value, mean: r.mean, deviation: r.deviation, within: r.within_tolerance ? "yes" : "no"})),
          [{key: "name", label: "territory", format: String}, {key: "value", label: metric}, {key: "mean", label: "target"},
            {key: "deviation", label: "deviation", format: pct}, {key: "within", label: "within band", format: String}], {class: "chart-table", "data-metric": metric},
          `Balance of ${metric} by territory`));
    }
  },

  async renderAlerts(stale = () => false) {
    const alerts = await api("GET", `/plans/${encodeURIComponent(TP.plan.id)}/alerts`);
    if (stale()) return;
    document.getElementById("realignment").textContent = alerts.realignment_recommended
      ? "Realignment recommended: " + (alerts.realignment_reasons.join("; ") || alerts.realignment_territory_names.join(", "))
      : "No realignment recommended.";
    document.getElementById("alerts").replaceChildren(...alerts.alerts.map((a) => el("li", {class: "alert-" + a.severity},
      el("strong", {}, a.severity), ` ${alertSubject(a.subject_kind, a.subject)}: ${a.reason}`)));
    if (!alerts.alerts.length) document.getElementById("alerts").append(el("li", {class: "muted"}, "No alerts."));
  },
};

// While a refresh runs the dashboard says "Loading…" (aria-busy), until the last one started
// has settled; refresh() itself (and its ticket) is left as it is.
TPDashboard.refresh = ((refresh) => function refreshShowingBusy() {
  return withBusy("view-dashboard", refresh.call(this));
})(TPDashboard.refresh);

// "territory Territory 06" says the kind twice: the kind is said only when the name does not.
function alertSubject(kind, name) {
  return String(name).toLowerCase().startsWith(String(kind).toLowerCase()) ? name : `${kind} ${name}`;
}
