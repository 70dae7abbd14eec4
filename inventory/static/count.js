// The counting screen: a bin label chooses the bin, every other scan is counted there through the API.
// Scans are sent one after another in the order they were made; the screen never learns expected quantities.
(function () {
  "use strict";
  const form = document.getElementById("count-form");
  if (!form) return;
  const linesUrl = form.dataset.linesUrl;
  const recounting = form.dataset.recounting === "true";
  const bin = document.getElementById("bin");
  const packs = document.getElementById("packs");
  const lot = document.getElementById("lot_code");
  const scanInput = document.getElementById("scan");
  const message = document.getElementById("scan-message");
  const ok = document.getElementById("scan-ok");
  const tbody = document.querySelector("#count-lines tbody");
  let queue = Promise.resolve();

  function formatQty(text) {
    if (text === null || text === undefined) return "—";
    const trimmed = text.indexOf(".") >= 0 ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
    return trimmed.replace(".", ",");
  }

  function showBin() {
    const option = bin.selectedOptions[0];
    document.getElementById("current-bin").textContent = bin.value ? option.textContent : "";
  }

  async function send(method, url, body) {
    const headers = {
      "Content-Type": "application/json",
      Accept: "application/json",
      "X-CSRFToken": window.lumbung.csrfToken(),
    };
    if (method === "POST") headers["Idempotency-Key"] = window.lumbung.uuid();
    for (let attempt = 0; ; attempt++) {
      try {
        // The same key on a retry: a scan that did reach the server is not counted twice.
        const response = await fetch(url, { method, headers, body: JSON.stringify(body), credentials: "same-origin" });
        return { ok: response.ok, body: await response.json() };
      } catch (error) {
        if (attempt >= 2) return { ok: false, body: { detail: form.dataset.msgOffline } };
      }
    }
  }

  function render(line) {
    let row = tbody.querySelector('tr[data-line-id="' + line.id + '"]');
    if (!row) {
      row = document.getElementById("count-line-template").content.firstElementChild.cloneNode(true);
      row.dataset.lineId = String(line.id);
    }
    const name = document.documentElement.lang === "en" ? line.item.name_en : line.item.name_id;
    const quantity = recounting ? line.recount_quantity : line.counted_quantity;
    row.querySelector(".bin").textContent = line.location.code;
    row.querySelector(".item").textContent = name;
    row.querySelector(".lot").textContent = line.lot_code || "";
    row.querySelector(".qty").textContent = formatQty(quantity);
    if (!recounting) tbody.prepend(row); // the last counted on top
    ok.textContent = name + " · " + line.location.code + ": " + formatQty(quantity);
  }

  // What a scan counts is fixed when it is made (bin, how many, lot), not when its turn in the queue comes.
  function scanned(code) {
    message.textContent = "";
    const option = Array.from(bin.options).find(function (o) { return o.dataset.code === code; });
    if (option) {
      bin.value = option.value;
      lot.value = "";
      showBin();
      return;
    }
    if (!bin.value) { message.textContent = form.dataset.msgNoBin; return; }
    const body = { location_id: Number(bin.value), code: code, packs: packs.value.trim().replace(",", ".") || "1" };
    if (lot.value.trim()) body.lot_code = lot.value.trim();
    packs.value = "1";
    queue = queue.then(async function () {
      const result = await send("POST", linesUrl, body);
      if (!result.ok) { ok.textContent = ""; message.textContent = result.body.detail || result.body.title; return; }
      render(result.body);
    });
  }

  document.addEventListener("scan", function (event) { scanned(event.detail); });

  tbody.addEventListener("click", function (event) {
    const button = event.target.closest("button.set");
    if (!button) return;
    const row = button.closest("tr");
    const input = row.querySelector(".set-qty");
    const quantity = input.value.trim().replace(",", ".");
    if (!quantity) return;
    queue = queue.then(async function () {
      message.textContent = "";
      const result = await send("PUT", linesUrl + "/" + row.dataset.lineId, { quantity: quantity });
      if (!result.ok) { message.textContent = result.body.detail || result.body.title; return; }
      input.value = "";
      render(result.body);
      scanInput.focus();
    });
  });

  [packs, lot].forEach(function (input) {
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); scanInput.focus(); }
    });
  });
  bin.addEventListener("change", function () { lot.value = ""; showBin(); scanInput.focus(); });
})();
