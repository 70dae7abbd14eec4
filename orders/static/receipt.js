// A reprint opens the print dialog by itself once the page is there.
(function () {
  "use strict";
  const receipt = document.getElementById("receipt");
  if (receipt && receipt.dataset.autoprint) window.addEventListener("load", function () { window.print(); });
})();
