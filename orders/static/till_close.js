// Closing a till: tell the server how many sales this browser still holds unsent (its outbox), so it refuses to
// close until they are sent.
(function () {
  "use strict";
  const form = document.getElementById("close-form");
  if (!form) return;
  let unsent = [];
  try { unsent = JSON.parse(localStorage.getItem("lumbung.outbox." + form.dataset.till)) || []; } catch (e) { unsent = []; }
  document.getElementById("unsent-sales").value = String(unsent.length);
  document.getElementById("unsent-warning").hidden = unsent.length === 0;
})();
