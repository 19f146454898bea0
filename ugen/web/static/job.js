// The job page: a click on a pipeline stage (or an address ending in #stage) opens that
// stage's details, brings them into view and gives them the keyboard focus; opening a
// stage's details names it in the address, so it can be shared.
"use strict";

(function () {
  const STAGES = ["prepare", "agents", "init", "generation", "concat", "audio", "captions",
                  "complete"];

  function details(name) {
    return document.getElementById(name + "-details");
  }

  function openStage(focus) {
    const name = decodeURIComponent(location.hash.slice(1));
    if (STAGES.indexOf(name) < 0) return;
    const panel = document.getElementById(name);
    if (!panel) return;
    document.querySelectorAll(".stage-panel.open").forEach(function (el) {
      el.classList.remove("open");
    });
    panel.classList.add("open");
    if (details(name)) details(name).open = true;
    if (focus) panel.focus({ preventScroll: true });
    panel.scrollIntoView({ block: "start" });
  }

  document.addEventListener("click", function (e) {
    const link = e.target.closest ? e.target.closest("a[href^='#']") : null;
    if (link && link.getAttribute("href") === location.hash) {
      e.preventDefault();  // the same stage again: no hashchange, open it anyway
      openStage(true);
    }
    const all = e.target.closest ? e.target.closest("[data-open-all]") : null;
    if (all) {
      const open = all.getAttribute("aria-pressed") !== "true";
      STAGES.forEach(function (name) { if (details(name)) details(name).open = open; });
      all.setAttribute("aria-pressed", open ? "true" : "false");
      all.textContent = open ? "Close every stage" : "Open every stage";
    }
  });

  document.addEventListener("toggle", function (e) {
    const el = e.target;
    if (!el.classList || !el.classList.contains("stage-details") || !el.open) return;
    const all = document.querySelector("[data-open-all]");
    if (all && all.getAttribute("aria-pressed") === "true") return;  // every stage is open
    const name = el.id.replace(/-details$/, "");
    if (location.hash !== "#" + name) history.replaceState(null, "", "#" + name);
  }, true);

  // Human review: the review panel is drawn with the page, so the page is loaded again when
  // the job starts or stops awaiting review (unless a reason is being typed).
  document.addEventListener("ugen:swapped", function (e) {
    if (e.detail.id !== "job-summary") return;
    const head = document.querySelector("[data-job-status]");
    const panel = document.getElementById("review");
    if (!head) return;
    const awaiting = head.dataset.jobStatus === "awaiting_review";
    const shown = panel ? panel.dataset.reviewStatus === "awaiting_review" : false;
    const typing = Array.prototype.some.call(
      document.querySelectorAll("[data-review-reason]"), function (el) { return el.value; });
    if (awaiting !== shown && !typing) window.location.reload();
  });

  window.addEventListener("hashchange", function () { openStage(true); });
  document.addEventListener("DOMContentLoaded", function () { openStage(false); });
})();
