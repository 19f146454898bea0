// The models page's Playground: a chosen first frame is uploaded at once (as the new-ad
// form uploads its image) and its id put in the form; a try being made is followed by
// fetching its server-rendered panel again until the try has ended.
"use strict";

(function () {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.content : "";

  document.querySelectorAll("input[data-frame-for]").forEach(function (input) {
    const form = input.closest("form");
    const status = input.parentNode.querySelector(".frame-status");
    const submit = form.querySelector("button[type=submit]");
    input.addEventListener("change", function () {
      const file = input.files && input.files[0];
      form.elements.first_frame.value = "";
      if (!file) { status.textContent = ""; return; }
      status.textContent = "Uploading…";
      submit.disabled = true;
      fetch("/new/upload", {
        method: "POST", body: file, credentials: "same-origin",
        headers: { "Content-Type": file.type, "X-CSRF-Token": csrf,
                   "Accept": "application/json" },
      }).then(function (r) {
        return r.json().then(function (data) { return { ok: r.ok, data: data }; });
      }).then(function (res) {
        if (res.ok) {
          form.elements.first_frame.value = res.data.upload_id;
          status.textContent = "Uploaded: " + res.data.width + " × " + res.data.height + " px.";
        } else {
          status.textContent = (res.data.error && res.data.error.message) || "Upload failed.";
        }
      }).catch(function () {
        status.textContent = "Upload failed; try again.";
      }).finally(function () { submit.disabled = false; });
    });
  });

  function follow() {
    const panel = document.getElementById("try-task");
    const url = panel && panel.dataset.panelUrl;
    if (!url) return;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        panel.outerHTML = data.html;
        if (!data.done) setTimeout(follow, 1000);
      })
      .catch(function () { setTimeout(follow, 3000); });
  }
  setTimeout(follow, 1000);
})();
