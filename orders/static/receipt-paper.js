// The receipt's page is as long as the receipt (a roll has no page length): its lines at the print font, the
// barcode and the margins, set before every print (and once the page is there, for a PDF made without a dialog).
(function () {
  "use strict";
  const page = document.getElementById("receipt-page");
  if (!page) return;
  const MM_PER_PT = 25.4 / 72;
  const BARCODE_MM = 18;

  function fit() {
    const text = document.querySelector("#print-text, #receipt-text");
    const lines = text && text.textContent ? text.textContent.replace(/\n$/, "").split("\n").length : 0;
    const margin = parseFloat(page.dataset.margin);
    const length = Math.ceil(lines * parseFloat(page.dataset.font) * 1.25 * MM_PER_PT + BARCODE_MM + 2 * margin + 4);
    let rule = document.getElementById("receipt-page-length");
    if (!rule) {
      rule = document.createElement("style");
      rule.id = "receipt-page-length";
      page.after(rule); // after the width's rule, so this one wins

    }
    rule.textContent = "@media print { @page { size: " + page.dataset.width + "mm " + length + "mm; } }";
  }

  window.lumbungFitReceipt = fit;
  window.addEventListener("beforeprint", fit);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fit); else fit();
})();
