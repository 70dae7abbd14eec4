// Transfer lines: each scan looks the code up and adds a line, or adds one more to the line it already has.
(function () {
  "use strict";
  document.addEventListener("scan", async function (event) {
    const code = event.detail;
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
    const name = document.documentElement.lang === "en" ? body.item.name_en : body.item.name_id;
    row.querySelector(".name").textContent = name + " · " + body.packaging.name;
    row.querySelector('input[name="quantity"]').value = body.quantity;
    row.querySelector(".remove").addEventListener("click", function () { row.remove(); });
    tbody.appendChild(row);
  });
})();
