// Transfer lines: each scan looks the code up and adds a line, or adds one more to the line it already has.
// Scans are handled one after the other, in the order they came (a fast scanner's second scan of an item waits
// for the first one's line instead of making a second line). A lot-tracked item offers its lots at the source:
// first to expire (automatic) unless the clerk picks one; a GS1 scan with a lot chooses that lot.
(function () {
  "use strict";
  let queue = Promise.resolve();
  const en = document.documentElement.lang === "en";

  function wireRemove(row) {
    const remove = row.querySelector(".remove");
    if (remove) remove.addEventListener("click", function () { row.remove(); });
  }
  document.querySelectorAll("#lines tbody tr").forEach(wireRemove);

  async function lotsAt(itemId) {
    const from = document.getElementById("from_location_id").value;
    if (!from) return [];
    const url = "/api/stock/on-hand?include_children=false&item_id=" + itemId + "&location_id=" + from;
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    return response.ok ? response.json() : [];
  }

  function fillLots(select, balances, chosen) {
    const byExpiry = function (a, b) { return (a.expiry || "9999").localeCompare(b.expiry || "9999"); };
    balances.slice().sort(byExpiry).forEach(function (b) {
      if (!b.lot_code) return;
      const option = document.createElement("option");
      option.value = b.lot_code;
      const expiry = b.expiry ? " · " + b.expiry.split("-").reverse().join("-") : "";
      option.textContent = b.lot_code + expiry + " · " + Number(b.quantity);
      select.appendChild(option);
    });
    if (chosen) {
      if (!Array.from(select.options).some(function (o) { return o.value === chosen; })) {
        const option = document.createElement("option");
        option.value = option.textContent = chosen;
        select.appendChild(option);
      }
      select.value = chosen;
    }
    select.classList.toggle("unused", select.options.length < 2);
  }

  async function addScan(code) {
    const message = document.getElementById("scan-message");
    message.textContent = "";
    const response = await fetch("/api/stock/scan?code=" + encodeURIComponent(code), {
      headers: { Accept: "application/json" }, credentials: "same-origin",
    });
    const body = await response.json();
    if (!response.ok) { message.textContent = body.detail || body.title; return; }
    if (body.kind !== "item") { message.textContent = body.code + ": " + (body.location ? body.location.name : ""); return; }
    const tbody = document.querySelector("#lines tbody");
    const existing = Array.from(tbody.querySelectorAll("tr")).find(function (row) {
      return row.querySelector('input[name="code"]').value === body.code;
    });
    if (existing) {
      const qty = existing.querySelector('input[name="quantity"]');
      qty.value = String(Number(qty.value.replace(",", ".")) + Number(body.quantity));
      return;
    }
    const row = document.getElementById("line-template").content.firstElementChild.cloneNode(true);
    row.querySelector('input[name="code"]').value = body.code;
    row.querySelector(".name").textContent = (en ? body.item.name_en : body.item.name_id) + " · " + body.packaging.name;
    row.querySelector('input[name="quantity"]').value = body.quantity;
    wireRemove(row);
    tbody.appendChild(row);
    if (body.item.is_lot_tracked) fillLots(row.querySelector("select.lot"), await lotsAt(body.item.id), body.lot_code);
  }

  document.addEventListener("scan", function (event) {
    const code = event.detail;
    queue = queue.then(function () { return addScan(code); }).catch(function (error) {
      document.getElementById("scan-message").textContent = String(error);
    });
  });
})();
