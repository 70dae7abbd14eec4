// The till: scan-first. The cart lives in this browser (localStorage, so a reload loses nothing); the server
// prices it (quote) after every change and posts the sale with the cart's UUID as the Idempotency-Key, on
// every try. A sale that got no answer waits in the outbox and is retried with the same key until the server
// answers; the till cannot close while the outbox holds one.
(function () {
  "use strict";
  const root = document.getElementById("till");
  if (!root) return;
  const T = JSON.parse(document.getElementById("till-texts").textContent);
  const till = root.dataset.till;
  const cartKey = "lumbung.cart." + till;
  const outboxKey = "lumbung.outbox." + till;
  const $ = function (id) { return document.getElementById(id); };
  const scanInput = $("scan");
  const tbody = document.querySelector("#cart tbody");
  let state = load() || fresh();
  let quote = null;
  let multiplier = null;
  let quoting = Promise.resolve();
  let pendingWeight = null;

  // Focus alone is not enough after a click in a dialog: Chromium leaves the field without a caret and drops
  // what the scanner types. Selecting its (empty) text puts the caret back.
  function focusScan() { scanInput.focus(); scanInput.select(); }

  function fresh() { return { key: window.lumbung.uuid(), member: null, memberInfo: null, buyer: { nik: "", kk_number: "", category: "", name: "" }, lines: [] }; }
  function load() { try { return JSON.parse(localStorage.getItem(cartKey)); } catch (e) { return null; } }
  function save() { localStorage.setItem(cartKey, JSON.stringify(state)); }
  function outbox() { try { return JSON.parse(localStorage.getItem(outboxKey)) || []; } catch (e) { return []; } }
  function setOutbox(list) { localStorage.setItem(outboxKey, JSON.stringify(list)); showOutbox(); }

  function rupiah(n) { return (n < 0 ? "-Rp" : "Rp") + Math.abs(n).toLocaleString("id-ID"); }
  function number(text) { return String(text || "").replace(/[^\d]/g, ""); }
  function qtyText(q) {
    const s = String(q);
    return (s.indexOf(".") >= 0 ? s.replace(/0+$/, "").replace(/\.$/, "") : s).replace(".", ",");
  }
  function say(text) { const m = $("till-message"); m.textContent = text || ""; m.hidden = !text; }
  function fill(template, values) { return template.replace(/\{(\w+)\}/g, function (_, k) { return values[k]; }); }

  async function api(method, url, body, key) {
    const headers = { Accept: "application/json", "X-CSRFToken": window.lumbung.csrfToken() };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (key) headers["Idempotency-Key"] = key;
    const response = await fetch(url, {
      method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return { status: response.status, ok: response.ok, data: data || {} };
  }
  function problemText(data) {
    if (data.errors && data.errors.json) {
      return Object.values(data.errors.json).flat().map(function (v) { return typeof v === "string" ? v : JSON.stringify(v); }).join(" ");
    }
    return data.detail || data.title || T.failed;
  }
  function fieldMessages(data) {
    return Object.values(data.errors || {}).flat().filter(function (v) { return typeof v === "string"; });
  }

  function cartBody() {
    const body = { till: till, member: state.member, lines: state.lines.map(function (l) {
      return { packaging_id: l.packaging_id, quantity: l.quantity, empties: l.empties };
    }) };
    const b = state.buyer;
    if (!state.member && (b.nik || b.kk_number || b.category || b.name)) {
      body.buyer = { nik: b.nik || null, kk_number: b.kk_number || null, category: b.category || null, name: b.name };
    }
    return body;
  }

  // --- scanning ---------------------------------------------------------------------------------------------
  async function scanned(raw) {
    say("");
    let code = raw.trim();
    const alone = code.match(/^(\d{1,3})\s*[x*×]$/i);
    if (alone) { multiplier = alone[1]; say(fill(T.multiplier, { n: multiplier })); return; }
    const prefixed = code.match(/^(\d{1,3})\s*[x*×]\s*(.+)$/i);
    let count = multiplier || "1";
    if (prefixed) { count = prefixed[1]; code = prefixed[2]; }
    multiplier = null;
    let result;
    try {
      result = await api("GET", root.dataset.scanUrl + "?code=" + encodeURIComponent(code));
    } catch (e) { say(T.offline); return; }
    if (!result.ok) { say(problemText(result.data)); return; }
    const found = result.data;
    if (found.kind === "member") {
      state.member = found.member.member_number;
      state.memberInfo = found.member;
      save();
      return requote();
    }
    if (found.kind === "receipt") { say(fill(T.is_receipt, { number: found.receipt_number })); return; }
    if (found.by_weight && !found.quantity) { askWeight(found); return; }
    addLine(found, found.by_weight ? found.quantity : count);
  }

  function addLine(found, quantity) {
    const same = state.lines.find(function (l) { return l.packaging_id === found.packaging_id && !found.by_weight; });
    if (same) {
      same.quantity = String(Number(same.quantity) + Number(quantity));
      if (same.empties !== null) same.empties = same.empties === "0" ? "0" : null;
    } else {
      state.lines.push({ packaging_id: found.packaging_id, quantity: String(quantity), empties: null, name: found.name });
    }
    save();
    requote();
  }

  function askWeight(found) {
    pendingWeight = found;
    $("weight-item").textContent = found.name;
    $("weight").value = "";
    $("weight-dialog").showModal();
    $("weight").focus();
  }
  $("weight-form").addEventListener("submit", function (event) {
    event.preventDefault();
    const kg = $("weight").value.trim().replace(",", ".");
    if (!(Number(kg) > 0)) { $("weight").focus(); return; }
    $("weight-dialog").close();
    addLine(pendingWeight, kg);
    focusScan();
  });
  $("weight-cancel").addEventListener("click", function () { $("weight-dialog").close(); focusScan(); });

  // --- pricing and showing the cart ----------------------------------------------------------------------------
  function requote() {
    quoting = quoting.then(doQuote, doQuote);
    return quoting;
  }
  async function doQuote() {
    if (!state.lines.length) { quote = null; render(); return; }
    let result;
    const body = cartBody();
    try { result = await api("POST", root.dataset.quoteUrl, body); } catch (e) { say(T.offline); return; }
    if (result.status === 422 && body.buyer) {
      // A mistyped NIK or KK: price the cart without the buyer, so its lines and the buyer panel stay on screen
      // to correct them, with what is wrong on top of the problems.
      const wrong = [problemText(result.data)].concat(fieldMessages(result.data)).join(" ");
      delete body.buyer;
      try { result = await api("POST", root.dataset.quoteUrl, body); } catch (e) { say(T.offline); return; }
      if (result.ok) result.data.problems = [wrong].concat(result.data.problems);
    }
    if (!result.ok) {
      quote = null;
      if (result.status === 404 && state.member) { state.member = null; state.memberInfo = null; save(); }
      say(problemText(result.data));
      render();
      return;
    }
    quote = result.data;
    render();
  }

  function render() {
    tbody.textContent = "";
    $("empty-cart").hidden = state.lines.length > 0;
    const lines = quote ? quote.lines : [];
    let goods = -1;
    lines.forEach(function (line) {
      const row = $("line-template").content.firstElementChild.cloneNode(true);
      row.querySelector(".name").textContent = line.name + (line.kind === "cylinder" ? " · " + T.cylinder : " · " + line.packaging);
      row.querySelector(".price").textContent = line.unit_price === null ? "—" : rupiah(line.unit_price);
      row.querySelector(".amount").textContent = rupiah(line.amount);
      if (line.problem) row.classList.add("has-problem");
      if (line.kind === "cylinder") {
        row.classList.add("cylinder");
        row.querySelector(".qty").textContent = qtyText(line.quantity);
        row.querySelector(".remove").remove();
      } else {
        goods += 1;
        const index = goods;
        const input = row.querySelector(".qty-input");
        input.value = qtyText(line.quantity);
        input.addEventListener("change", function () { setQuantity(index, input.value.replace(",", ".")); });
        row.querySelector(".plus").addEventListener("click", function () { step(index, 1); });
        row.querySelector(".minus").addEventListener("click", function () { step(index, -1); });
        row.querySelector(".remove").addEventListener("click", function () { state.lines.splice(index, 1); save(); requote(); });
        if (line.returnable) {
          const box = row.querySelector(".exchange-box");
          row.querySelector(".exchange").hidden = false;
          box.checked = state.lines[index].empties !== "0";
          box.addEventListener("change", function () { state.lines[index].empties = box.checked ? null : "0"; save(); requote(); });
        }
      }
      tbody.appendChild(row);
    });
    $("total").textContent = rupiah(quote ? quote.total : 0);
    const priceList = quote ? quote.price_list : (state.memberInfo && state.memberInfo.can_buy_as_member ? "member" : "general");
    $("price-list").textContent = T.price_lists[priceList];
    const member = quote ? quote.member : state.memberInfo;
    $("member-panel").hidden = !member;
    if (member) {
      $("member-name").textContent = member.full_name;
      $("member-number").textContent = member.member_number;
      $("member-category").textContent = T.categories[member.category] + (member.can_buy_as_member ? "" : " · " + T.not_active);
    }
    $("buyer-panel").hidden = !(quote && quote.needs_nik && !member);
    const capsList = $("caps");
    capsList.textContent = "";
    (quote ? quote.caps : []).forEach(function (cap) {
      const li = document.createElement("li");
      li.textContent = fill(T.cap_line, { name: cap.name, remaining: qtyText(cap.remaining), max: qtyText(cap.max) });
      li.className = cap.fits ? "cap-ok" : "cap-over";
      capsList.appendChild(li);
    });
    const problems = $("problems");
    problems.textContent = "";
    (quote ? quote.problems : []).forEach(function (text) {
      const li = document.createElement("li");
      li.textContent = text;
      problems.appendChild(li);
    });
    $("pay").disabled = !(quote && quote.lines.length && !quote.problems.length);
  }

  function setQuantity(index, value) {
    if (!(Number(value) > 0)) { state.lines.splice(index, 1); } else { state.lines[index].quantity = value; }
    save();
    requote();
  }
  function step(index, by) { setQuantity(index, String(Number(state.lines[index].quantity) + by)); }

  $("drop-member").addEventListener("click", function () { state.member = null; state.memberInfo = null; save(); requote(); focusScan(); });
  [["buyer-nik", "nik"], ["buyer-kk", "kk_number"], ["buyer-category", "category"], ["buyer-name", "name"]].forEach(function (pair) {
    const input = $(pair[0]);
    input.value = state.buyer[pair[1]] || "";
    input.addEventListener("change", function () { state.buyer[pair[1]] = input.value.trim(); save(); requote(); });
  });

  function newCart() {
    state = fresh();
    save();
    quote = null;
    ["buyer-nik", "buyer-kk", "buyer-category", "buyer-name"].forEach(function (id) { $(id).value = ""; });
    say("");
    render();
    focusScan();
  }
  $("new-cart").addEventListener("click", function () { if (!state.lines.length || window.confirm(T.confirm_new)) newCart(); });

  // --- paying ------------------------------------------------------------------------------------------------
  function openPay() {
    if ($("pay").disabled) return;
    $("pay-total").textContent = rupiah(quote.total);
    $("tendered").value = "";
    $("qris-amount").value = "";
    $("qris-ref").value = "";
    $("pay-error").hidden = true;
    $("confirm-pay").disabled = false;
    const quick = $("quick-cash");
    quick.textContent = "";
    [quote.total, 20000, 50000, 100000].filter(function (v, i) { return i === 0 || v > quote.total; }).forEach(function (value) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = rupiah(value);
      button.addEventListener("click", function () { $("tendered").value = String(value); showChange(); $("confirm-pay").focus(); });
      quick.appendChild(button);
    });
    showChange();
    $("pay-dialog").showModal();
    $("tendered").focus();
  }
  function showChange() {
    const qris = Number(number($("qris-amount").value) || 0);
    const tendered = number($("tendered").value);
    const due = quote.total - qris;
    $("change").textContent = rupiah(tendered === "" ? 0 : Math.max(Number(tendered) - due, 0));
  }
  ["tendered", "qris-amount"].forEach(function (id) { $(id).addEventListener("input", showChange); });
  $("pay").addEventListener("click", openPay);
  $("cancel-pay").addEventListener("click", function () { $("pay-dialog").close(); focusScan(); });

  $("pay-form").addEventListener("submit", function (event) {
    event.preventDefault();
    const button = $("confirm-pay");
    if (button.disabled) return; // a second click or Enter while the first is on its way
    button.disabled = true;
    const qris = Number(number($("qris-amount").value) || 0);
    const tendered = number($("tendered").value);
    const payments = [];
    if (qris > 0) payments.push({ method: "qris", amount: qris, reference: $("qris-ref").value.trim() });
    if (quote.total - qris > 0 || tendered !== "") {
      payments.push({ method: "cash", tendered: tendered === "" ? quote.total - qris : Number(tendered) });
    }
    const entry = { key: state.key, body: Object.assign(cartBody(), { payments: payments }) };
    setOutbox(outbox().filter(function (e) { return e.key !== entry.key; }).concat([entry]));
    send(entry, true);
  });

  // Send one outbox entry with its own key; keep it until the server answers for it.
  async function send(entry, current) {
    let result;
    try {
      result = await api("POST", root.dataset.salesUrl, entry.body, entry.key);
    } catch (e) {
      result = null;
    }
    if (result && result.ok) {
      setOutbox(outbox().filter(function (e) { return e.key !== entry.key; }));
      if (current || entry.key === state.key) {
        if ($("pay-dialog").open) $("pay-dialog").close();
        newCart();
        showReceipt(result.data);
      } else {
        say(fill(T.sent_later, { number: result.data.receipt_number }));
      }
      return;
    }
    const retry = !result || result.status >= 500 || result.status === 409 && result.data.type === "/problems/idempotency_key_in_flight";
    if (retry) {
      if (current) showPayError(T.waiting);
      setTimeout(function () { send(entry, current && $("pay-dialog").open); }, 2000);
      return;
    }
    // Refused (a cap, stock, a price): nothing was sold; the cart stays so the cashier can fix it.
    setOutbox(outbox().filter(function (e) { return e.key !== entry.key; }));
    if (current) {
      showPayError(problemText(result.data));
      $("confirm-pay").disabled = false;
      requote();
    } else {
      say(fill(T.refused_later, { reason: problemText(result.data) }));
    }
  }
  function showPayError(text) { const p = $("pay-error"); p.textContent = text; p.hidden = false; }

  function showOutbox() {
    const count = outbox().length;
    const badge = $("outbox-status");
    badge.hidden = count === 0;
    badge.textContent = fill(T.unsent, { n: count });
  }

  function showReceipt(sale) {
    $("receipt-text").textContent = sale.receipt_text;
    $("print-text").textContent = sale.receipt_text;
    if (window.lumbungFitReceipt) window.lumbungFitReceipt();
    $("print-barcode").src = root.dataset.saleBase + "/" + sale.id + "/barcode.svg";
    $("receipt-dialog").showModal();
    $("print-receipt").focus();
  }
  $("print-receipt").addEventListener("click", function () { window.print(); $("receipt-dialog").close(); focusScan(); });
  $("next-sale").addEventListener("click", function () { $("receipt-dialog").close(); focusScan(); });
  // Closed by Esc, too. The close event comes a moment after a click on "next sale" has put the focus back: if
  // the scanner is already typing into the field, selecting its text now would let the next digit wipe the first.
  $("receipt-dialog").addEventListener("close", function () { if (document.activeElement !== scanInput) focusScan(); });

  // --- keys --------------------------------------------------------------------------------------------------
  scanInput.addEventListener("scan", function (event) { scanned(event.detail); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "F2") { event.preventDefault(); focusScan(); }
    if (event.key === "F3") { event.preventDefault(); if (!$("buyer-panel").hidden) $("buyer-nik").focus(); }
    if (event.key === "F4") { event.preventDefault(); openPay(); }
    if (event.key === "F8") { event.preventDefault(); $("new-cart").click(); }
  });

  showOutbox();
  outbox().forEach(function (entry) { send(entry, false); }); // whatever a reload left unsent
  if (state.lines.length || state.member) requote(); else render();
})();
