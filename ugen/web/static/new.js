// The new-ad form: image upload with preview, options that follow the video model, the live
// credit estimate, voice samples, caption previews, and errors shown beside their fields.
"use strict";

(function () {
  const form = document.getElementById("new-ad");
  if (!form) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const caps = JSON.parse(document.getElementById("model-capabilities").textContent);
  const maxBytes = Number(form.dataset.maxBytes);
  const accepted = form.dataset.accepted.split(",");
  const ASPECTS = { "9:16": "9:16 vertical", "16:9": "16:9 landscape", "1:1": "1:1 square",
                    "auto": "Auto" };

  function $(id) { return document.getElementById(id); }

  function showError(name, message) {
    const el = $("err-" + name);
    const input = form.elements[name] && form.elements[name].nodeType ? form.elements[name] : null;
    if (el) { el.textContent = message || ""; el.hidden = !message; }
    if (input) {
      if (message) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
  }

  function clearErrors() {
    form.querySelectorAll(".field-error").forEach(function (el) {
      el.textContent = ""; el.hidden = true;
    });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
    });
    $("form-error").hidden = true;
  }

  function body(extra) {
    const data = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (typeof value === "string") data.append(key, value);
    });
    return data;
  }

  // --- the product image ---------------------------------------------------------------
  const fileInput = $("product_image");
  const preview = $("image-preview");
  const status = $("upload-status");
  const zone = $("dropzone");
  let previewUrl = null;

  function upload(file) {
    showError("product_image", "");
    if (accepted.indexOf(file.type) < 0) {
      showError("product_image", "Choose a JPEG, PNG, WebP or GIF image.");
      return;
    }
    if (file.size > maxBytes) {
      showError("product_image", "The image is larger than " +
                Math.round(maxBytes / 1048576) + " MB.");
      return;
    }
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = URL.createObjectURL(file);
    preview.src = previewUrl;
    preview.hidden = false;
    $("upload_id").value = "";
    status.textContent = "Uploading…";
    fetch("/new/upload", {
      method: "POST", body: file, credentials: "same-origin",
      headers: { "Content-Type": file.type, "X-CSRF-Token": csrf, "Accept": "application/json" },
    }).then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, data: data }; });
    }).then(function (res) {
      if (res.ok) {
        $("upload_id").value = res.data.upload_id;
        status.textContent = "Uploaded: " + res.data.width + " × " + res.data.height + " px.";
      } else {
        status.textContent = "";
        preview.hidden = true;
        showError("product_image", (res.data.error && res.data.error.message) ||
                  "The image could not be uploaded.");
      }
    }).catch(function () {
      status.textContent = "";
      showError("product_image", "The image could not be uploaded. Check the connection.");
    });
  }

  fileInput.addEventListener("change", function () {
    if (fileInput.files.length) upload(fileInput.files[0]);
  });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) {
    e.preventDefault();
    if (e.dataTransfer.files.length) upload(e.dataTransfer.files[0]);
  });

  // --- options that follow the video model -----------------------------------------------
  function fill(select, values, label, wanted) {
    const current = wanted !== undefined ? String(wanted) : select.value;
    select.innerHTML = "";
    values.forEach(function (v) {
      const opt = document.createElement("option");
      opt.value = String(v);
      opt.textContent = label(v);
      select.appendChild(opt);
    });
    const keep = values.map(String).indexOf(current) >= 0;
    select.value = keep ? current : String(values[0]);
  }

  function modelChanged() {
    const checked = form.querySelector('input[name="video_model"]:checked');
    if (!checked || !caps[checked.value]) return;
    const cap = caps[checked.value];
    fill($("aspect_ratio"), cap.aspect_ratios, function (a) { return ASPECTS[a] || a; });
    const duration = $("segment_duration");
    const keep = cap.durations.map(String).indexOf(duration.value) >= 0;
    fill(duration, cap.durations, function (d) { return d + " s"; },
         keep ? duration.value : cap.default_duration);
  }
  form.querySelectorAll('input[name="video_model"]').forEach(function (el) {
    el.addEventListener("change", modelChanged);
  });

  // --- the credit estimate ----------------------------------------------------------------
  let timer = null;
  let asked = 0;
  function estimate() {
    const ticket = ++asked;
    fetch("/new/estimate", {
      method: "POST", body: body(), credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      if (data && ticket === asked) {
        $("estimate-body").innerHTML = data.html;
      }
    }).catch(function () {});
  }
  function estimateSoon() {
    clearTimeout(timer);
    timer = setTimeout(estimate, 250);
  }
  form.addEventListener("change", estimateSoon);
  form.addEventListener("input", function (e) {
    if (e.target.name === "custom_script") $("script-count").textContent = e.target.value.length;
    if (e.target.name === "music_volume") {
      $("volume-out").textContent = Math.round(Number(e.target.value) * 100) + "%";
    }
    if (e.target.type !== "text" && e.target.tagName !== "TEXTAREA") estimateSoon();
  });

  // --- voice samples and caption previews ---------------------------------------------------
  let audio = null;
  form.addEventListener("click", function (e) {
    const button = e.target.closest(".play");
    if (!button) return;
    if (audio) { audio.pause(); }
    document.querySelectorAll(".play.playing").forEach(function (b) {
      b.classList.remove("playing"); b.textContent = "Play";
    });
    if (audio && audio.dataset.src === button.dataset.src && !audio.ended && audio.dataset.on) {
      audio.dataset.on = "";
      return;
    }
    audio = new Audio(button.dataset.src);
    audio.dataset.src = button.dataset.src;
    audio.dataset.on = "1";
    button.classList.add("playing");
    button.textContent = "Stop";
    audio.addEventListener("ended", function () {
      button.classList.remove("playing"); button.textContent = "Play"; audio.dataset.on = "";
    });
    audio.play().catch(function () {
      button.classList.remove("playing"); button.textContent = "Play";
    });
  });

  const reduced = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  if (!reduced) {
    let step = 0;
    setInterval(function () {
      step += 1;
      document.querySelectorAll(".cap-preview").forEach(function (p) {
        const words = p.querySelectorAll(".w");
        words.forEach(function (w, i) { w.classList.toggle("on", i === step % words.length); });
      });
    }, 450);
  }

  // --- submitting --------------------------------------------------------------------------
  form.addEventListener("submit", function (e) {
    // Buttons with their own action (saving the form as a template) post the form as is.
    if (e.submitter && e.submitter.hasAttribute("formaction")) { return; }
    e.preventDefault();
    clearErrors();
    const button = $("create-ad");
    button.disabled = true;
    button.textContent = "Creating…";
    fetch("/new", {
      method: "POST", body: body(), credentials: "same-origin",
      headers: { "Accept": "application/json" },
    }).then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, data: data }; });
    }).then(function (res) {
      if (res.ok) { window.location.assign(res.data.url); return; }
      button.disabled = false;
      button.textContent = "Create ad";
      const errors = res.data.errors || {};
      let first = null;
      Object.keys(errors).forEach(function (name) {
        showError(name, errors[name]);
        const target = name === "product_image" ? fileInput : form.elements[name];
        if (!first && target) first = target.length && !target.nodeType ? target[0] : target;
      });
      const top = res.data.form_error || (res.data.error && res.data.error.message);
      if (top) { $("form-error").textContent = top; $("form-error").hidden = false; }
      if (errors.form) { $("form-error").textContent = errors.form; $("form-error").hidden = false; }
      if (first && first.focus) first.focus();
      else if (top) $("form-error").scrollIntoView({ block: "center" });
    }).catch(function () {
      button.disabled = false;
      button.textContent = "Create ad";
      $("form-error").textContent = "The ad could not be created. Check the connection.";
      $("form-error").hidden = false;
    });
  });
})();
