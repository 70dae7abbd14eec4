// The receiving screen: every scan goes into a queue in the page and is sent to the API in the order it was
// made, while the clerk scans on; the page is never reloaded for a scan, so no key a fast scanner types is lost
// or glued to the next code. What a scan adds (how many, condition, lot, expiry, why) is fixed when it is made.
// Once the queue is empty the tables are brought up to date from the server (the parts marked .live). Without JavaScript the form posts as before.
(function () {
  "use strict";
  const form = document.getElementById("scan-form");
  if (!form) return;
  const input = document.getElementById("code");
  const message = document.getElementById("scan-message");
  const ok = document.getElementById("scan-ok");
  const en = document.documentElement.lang === "en";
  let queue = Promise.resolve();
  let waiting = 0;

  function field(id) { return document.getElementById(id); }

  function formatQty(text) {
    const trimmed = text.indexOf(".") >= 0 ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
    return trimmed.replace(".", ",");
  }

  async function post(body) {
    const headers = {
      "Content-Type": "application/json",
      Accept: "application/json",
      "X-CSRFToken": window.lumbung.csrfToken(),
      "Idempotency-Key": window.lumbung.uuid(), // the same key on a retry: a scan is never added twice
    };
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await fetch(form.dataset.scanUrl, {
          method: "POST", headers, body: JSON.stringify(body), credentials: "same-origin",
        });
        return { ok: response.ok, body: await response.json() };
      } catch (error) {
        if (attempt >= 2) return { ok: false, body: { detail: form.dataset.msgOffline } };
      }
    }
  }

  async function refresh() {
    const response = await fetch(window.location.pathname, { credentials: "same-origin" });
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    // Each live part is replaced unless the clerk is typing in it (a line being corrected).
    document.querySelectorAll(".live").forEach(function (part) {
      const fresh = page.getElementById(part.id);
      if (fresh && !part.contains(document.activeElement)) part.innerHTML = fresh.innerHTML;
    });
  }

  function scanned(code) {
    const body = {
      code: code,
      times: (field("times").value.trim() || "1").replace(",", "."),
      condition: field("condition").value,
      lot: field("lot").value.trim() || null,
      expiry: field("expiry").value || null,
      reason: field("reason").value.trim(),
    };
    field("times").value = "1";
    waiting += 1;
    form.dataset.waiting = String(waiting);
    queue = queue.then(async function () {
      const result = await post(body);
      waiting -= 1;
      form.dataset.waiting = String(waiting);
      if (!result.ok) {
        ok.textContent = "";
        message.textContent = code + ": " + (result.body.detail || result.body.title);
        return;
      }
      message.textContent = "";
      const line = result.body.scanned;
      if (line) {
        ok.textContent = (en ? line.item_name_en : line.item_name) + ": " + formatQty(line.quantity);
      } else { // a bin label: what comes next goes there
        ok.textContent = "→ " + result.body.bin_code;
        document.getElementById("put-away").textContent = form.dataset.msgBin.replace("%(bin)s", result.body.bin_code);
      }
      if (waiting === 0) await refresh(); // the tables once the queue is empty, not after every scan
    }).catch(function (error) { message.textContent = String(error); });
  }

  document.addEventListener("scan", function (event) {
    if (event.target === input) scanned(event.detail);
  });
  // Another form sent (post the receipt, the empties) waits for the scans still on their way, so none is lost.
  document.addEventListener("submit", function (event) {
    const other = event.target;
    if (other === form || waiting === 0) return;
    event.preventDefault();
    const submitter = event.submitter;
    queue = queue.then(function () { other.requestSubmit(submitter && submitter.form === other ? submitter : undefined); });
  }, true);
  form.addEventListener("submit", function (event) {
    // The "Add" button: what is typed in the code field is a scan like any other.
    event.preventDefault();
    const code = input.value.trim();
    input.value = "";
    if (code) scanned(code);
    input.focus();
  });
})();
