// Scan fields: keep the focus where the scanner types, submit on its terminator, and offer the camera.
(function () {
  "use strict";
  document.documentElement.classList.replace("no-js", "js"); // the phone's menu folds only where it can open
  const terminator = document.body.dataset.scanTerminator || "Enter";

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }
  // A key for a request that may be retried (Idempotency-Key); randomUUID needs a secure context, so a till
  // served over plain http on the shop's LAN makes one from getRandomValues.
  function uuid() {
    if (window.crypto.randomUUID) return window.crypto.randomUUID();
    const b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, function (x) { return x.toString(16).padStart(2, "0"); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  window.lumbung = { csrfToken, uuid };

  function clean(value) {
    // Wedge scanners and camera apps add whitespace or a literal "\n"; GS (FNC1) stays, the server needs it.
    return value.replace(/^(\s|\\n)+|(\s|\\n)+$/g, "");
  }

  function submitScan(input) {
    input.value = clean(input.value);
    if (!input.value) return;
    if (input.dataset.scanAction === "append") {
      input.dispatchEvent(new CustomEvent("scan", { detail: input.value, bubbles: true }));
      input.value = "";
      input.focus();
      return;
    }
    if (input.dataset.scanSwap && input.form) {
      swap(input);
      return;
    }
    if (input.dataset.scanAction === "next") {
      // The scan fills one field of a longer form: move on to the next field instead of submitting.
      const next = input.dataset.scanNext ? document.getElementById(input.dataset.scanNext) : nextField(input);
      if (next) { next.focus(); return; }
    }
    if (input.form) input.form.requestSubmit();
  }

  // A look-up screen (data-scan-swap="<id>"): the scan's answer replaces that part of the page, fetched in the
  // order the scans came, instead of reloading the page; the code stays in the field, selected, so the next
  // scan replaces it and no key typed meanwhile is lost or glued to it.
  let swaps = Promise.resolve();
  function swap(input) {
    const form = input.form;
    const params = new URLSearchParams(new FormData(form));
    const url = (form.getAttribute("action") || window.location.pathname) + "?" + params.toString();
    input.select();
    swaps = swaps.then(async function () {
      const response = await fetch(url, { credentials: "same-origin" });
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const target = document.getElementById(input.dataset.scanSwap);
      const fresh = page.getElementById(input.dataset.scanSwap);
      if (target && fresh) target.replaceWith(fresh);
      window.history.replaceState(null, "", url);
    }).catch(function () { window.location.assign(url); });
  }

  function nextField(input) {
    if (!input.form) return null;
    const fields = Array.from(input.form.elements).filter(function (el) {
      return (el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement) &&
        el.type !== "hidden" && !el.disabled && !el.readOnly && el.getClientRects().length > 0;
    });
    return fields[fields.indexOf(input) + 1] || null;
  }

  document.addEventListener("keydown", function (event) {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.classList.contains("scan")) return;
    if (event.key === terminator || event.key === "Enter") {
      event.preventDefault();
      submitScan(input);
    }
  });

  function focusScan() {
    const input = document.querySelector("input.scan[autofocus], input.scan");
    if (input) { input.focus(); input.select(); }
  }
  document.addEventListener("DOMContentLoaded", focusScan);
  // The phone's menu: one button opens and closes it.
  document.addEventListener("click", function (event) {
    const button = event.target.closest("#menu-button");
    if (!button) return;
    const open = button.closest(".topbar").classList.toggle("open");
    button.setAttribute("aria-expanded", String(open));
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });

  // The phone's camera as a scanner, where the browser can decode barcodes.
  document.addEventListener("DOMContentLoaded", function () {
    if (!("BarcodeDetector" in window)) return;
    document.querySelectorAll("input.scan").forEach(function (input) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "📷";
      button.title = "Camera";
      button.className = "camera no-print";
      input.insertAdjacentElement("afterend", button);
      button.addEventListener("click", function () { scanWithCamera(input); });
    });
  });

  async function scanWithCamera(input) {
    const detector = new window.BarcodeDetector();
    const video = document.createElement("video");
    video.setAttribute("playsinline", "");
    video.style.maxWidth = "100%";
    input.insertAdjacentElement("afterend", video);
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.srcObject = stream;
    await video.play();
    const stop = function () { stream.getTracks().forEach(function (t) { t.stop(); }); video.remove(); };
    const tick = async function () {
      const codes = await detector.detect(video);
      if (codes.length) { stop(); input.value = codes[0].rawValue; submitScan(input); return; }
      requestAnimationFrame(tick);
    };
    tick();
  }
})();
