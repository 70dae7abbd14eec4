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

  // On load the field may already have the focus (autofocus) and a scanner may already be typing into it: its
  // text is selected (for the next scan to replace) only while it is still what the server sent, never what was
  // typed since, or the next key would replace the first characters of the code.
  function focusScan() {
    const input = document.querySelector("input.scan[autofocus], input.scan");
    if (!input) return;
    if (document.activeElement !== input) input.focus();
    if (input.value === input.defaultValue) input.select();
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

  // The phone's camera as a scanner: the browser's own BarcodeDetector where it has one (Android Chrome), else
  // ZXing (vendored, loaded on the first tap) for iPhone Safari, Firefox and the rest. One camera box per field:
  // a second tap closes it. No camera, a refused permission or a plain-http address is said in a sentence.
  const words = document.body.dataset;
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input.scan").forEach(function (input) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "📷";
      button.title = words.msgCamera || "Camera";
      button.setAttribute("aria-label", button.title);
      button.className = "camera no-print";
      input.insertAdjacentElement("afterend", button);
      button.addEventListener("click", function () { toggleCamera(input, button); });
    });
  });

  function cameraMessage(input, text) {
    let note = input.parentElement.querySelector(".camera-message");
    if (!note) {
      note = document.createElement("span");
      note.className = "camera-message field-error";
      note.setAttribute("role", "alert");
      input.insertAdjacentElement("afterend", note);
    }
    note.textContent = text;
  }

  let zxing = null;
  function loadZxing() {
    if (!zxing) {
      zxing = new Promise(function (resolve, reject) {
        const script = document.createElement("script");
        script.src = words.zxingSrc;
        script.onload = function () { resolve(window.ZXing); };
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return zxing;
  }

  const open = new Map(); // input -> close()
  async function toggleCamera(input, button) {
    if (open.has(input)) { open.get(input)(); return; }
    cameraMessage(input, "");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraMessage(input, window.isSecureContext ? words.msgCameraNone : words.msgCameraInsecure);
      return;
    }
    const box = document.createElement("div");
    box.className = "camera-box";
    const video = document.createElement("video");
    video.setAttribute("playsinline", "");
    video.muted = true;
    box.appendChild(video);
    button.insertAdjacentElement("afterend", box);
    let stream = null;
    let reader = null;
    let closed = false;
    const close = function () {
      closed = true;
      if (reader) reader.reset();
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      box.remove();
      open.delete(input);
      button.setAttribute("aria-pressed", "false");
    };
    open.set(input, close);
    button.setAttribute("aria-pressed", "true");
    const found = function (text) {
      if (closed) return;
      close();
      input.value = text;
      submitScan(input);
    };
    try {
      if ("BarcodeDetector" in window) {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
        video.srcObject = stream;
        await video.play();
        const detector = new window.BarcodeDetector();
        const tick = async function () {
          if (closed) return;
          const codes = await detector.detect(video);
          if (codes.length) { found(codes[0].rawValue); return; }
          requestAnimationFrame(tick);
        };
        tick();
      } else {
        const ZXing = await loadZxing();
        if (closed) return;
        reader = new ZXing.BrowserMultiFormatReader();
        await reader.decodeFromConstraints({ video: { facingMode: "environment" } }, video, function (result) {
          if (result) found(result.getText());
        });
      }
    } catch (error) {
      close();
      const name = error && error.name;
      if (name === "NotAllowedError" || name === "SecurityError") cameraMessage(input, words.msgCameraDenied);
      else if (name === "NotFoundError" || name === "OverconstrainedError" || name === "NotReadableError") {
        cameraMessage(input, words.msgCameraNone);
      } else cameraMessage(input, words.msgCameraFailed);
    }
  }
})();
