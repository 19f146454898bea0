// U-Gen dashboard: shared behaviour of every page (no third-party code).
// - times shown in the reader's time zone
// - live pages: the server's event stream swaps the parts of the page it names
// - confirmations before destructive forms, copy buttons for shown-once secrets
"use strict";

(function () {
  const timeFormat = new Intl.DateTimeFormat(undefined, {
    day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  });

  const clockFormat = new Intl.DateTimeFormat(undefined, {
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  });

  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      if (el.dataset.local) return;
      const d = new Date(el.getAttribute("datetime"));
      if (!isNaN(d)) {
        el.title = d.toISOString();
        el.textContent = (el.dataset.format === "time" ? clockFormat : timeFormat).format(d);
        el.dataset.local = "1";
      }
    });
  }

  function swap(parts, append) {
    Object.keys(parts).forEach(function (id) {
      const el = document.getElementById(id);
      if (!el) return;
      // Keep the keyboard focus where it was when the part holding it is replaced.
      const active = document.activeElement;
      const focused = active && active.id && el.contains(active) ? active.id : null;
      if (append) el.insertAdjacentHTML("beforeend", parts[id]);
      else el.innerHTML = parts[id];
      if (focused && document.getElementById(focused)) {
        document.getElementById(focused).focus({ preventScroll: true });
      }
      localTimes(el);
      document.dispatchEvent(new CustomEvent("ugen:swapped", { detail: { id: id } }));
    });
  }

  function live(url) {
    const source = new EventSource(url);
    source.addEventListener("partials", function (e) { swap(JSON.parse(e.data), false); });
    source.addEventListener("append", function (e) { swap(JSON.parse(e.data), true); });
    source.addEventListener("end", function () { source.close(); });
    window.addEventListener("pagehide", function () { source.close(); });
    return source;
  }

  document.addEventListener("submit", function (e) {
    const form = e.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      e.preventDefault();
    }
  });

  document.addEventListener("click", function (e) {
    const button = e.target.closest ? e.target.closest("[data-copy]") : null;
    if (!button) return;
    const input = document.getElementById(button.dataset.copy);
    input.select();
    const done = function () { button.textContent = "Copied"; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {});
    } else if (document.execCommand("copy")) {
      done();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    const main = document.getElementById("main");
    if (main && main.dataset.live) window.ugenStream = live(main.dataset.live);
  });

  window.ugen = { localTimes: localTimes };
})();
