"use strict";
// Boot: who am I, the plans I can see, the tabs.
async function loadPlans(selectId) {
  TP.plans = await api("GET", "/plans");
  const select = document.getElementById("plan-select");
  select.replaceChildren(...TP.plans.map((p) => el("option", {value: p.id}, `${p.name} (${p.id}, ${p.status.replace("_", " ")})`)));
  for (const id of ["compare-base", "compare-other"]) {
    const s = document.getElementById(id);
    s.replaceChildren(...TP.plans.map((p) => el("option", {value: p.id}, `${p.name} (${p.id})`)));
  }
  if (TP.plans.length > 1) document.getElementById("compare-other").selectedIndex = 1;
  const wanted = selectId || new URLSearchParams(location.hash.slice(1)).get("plan");
  // With no plan asked for, the active plan opens (not an archived one listed first).
  const active = TP.plans.find((p) => p.status === "active");
  if (wanted && TP.plans.some((p) => p.id === wanted)) select.value = wanted;
  else if (active) select.value = active.id;
}

async function openPlan(planId) {
  document.getElementById("plan-select").value = planId;
  // A link's territory stays in the address while it opens (#plan=P1&territory=T-R2).
  const asked = new URLSearchParams(location.hash.slice(1));
  const territory = asked.get("plan") === planId ? asked.get("territory") : null;
  history.replaceState(null, "", "#plan=" + encodeURIComponent(planId) + (territory ? "&territory=" + encodeURIComponent(territory) : ""));
  TPPages.planChanged();
  await TPMap.load(planId);
  const status = document.getElementById("plan-status");
  status.textContent = TP.plan.status.replace("_", " ");
  await TPViews.refreshCurrent();
}

function showView(name) {
  for (const tab of document.querySelectorAll("nav [role=tab]")) {
    tab.setAttribute("aria-selected", String(tab.dataset.view === name));
  }
  for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== "view-" + name;
  TPViews.current = name;
  if (name === "map") TPMap.map.invalidateSize();
  TPViews.refreshCurrent().catch((e) => say(e.message, "error"));
}

async function boot() {
  const user = TP.config.user;
  document.getElementById("whoami").textContent = `${user.username} (${user.role})`;
  document.body.dataset.role = user.role;
  for (const tab of document.querySelectorAll("nav [role=tab]")) {
    if (tab.dataset.needs === "planner" && !canPlan()) tab.hidden = true;
    if (tab.dataset.needs === "manager" && !canPlan() && user.role !== "manager") tab.hidden = true;
    tab.addEventListener("click", () => showView(tab.dataset.view));
  }
  document.getElementById("logout").addEventListener("click", async () => {
    await api("POST", "/auth/logout");
    window.location.reload();
  });
  TPMap.init();
  TPViews.init();
  TPPages.init();
  await loadPlans();
  document.getElementById("plan-select").addEventListener("change", (e) => openPlan(e.target.value).catch((err) => say(err.message, "error")));
  if (!TP.plans.length) { say("No plan to show yet: run a design or import one."); return; }
  await openPlan(document.getElementById("plan-select").value);
  // A link or Back to another #plan= opens it in this tab.
  window.addEventListener("hashchange", () => {
    const asked = new URLSearchParams(location.hash.slice(1));
    const wanted = asked.get("plan");
    const territory = asked.get("territory");
    if (wanted && TP.plan && wanted !== TP.plan.id && TP.plans.some((p) => p.id === wanted)) {
      openPlan(wanted).then(() => { if (territory) TPPages.openTerritory(territory); })
        .catch((err) => say(err.message, "error"));
    } else if (territory && TP.plan) {
      TPPages.openTerritory(territory);
    }
  });
  document.body.dataset.ready = "true";
}

boot().catch((e) => { say(e.message || String(e), "error"); console.error(e && e.stack); });
