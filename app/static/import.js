// An import's page follows its job: the bar moves every second until the job has finished, then the page reloads.
(function () {
  "use strict";
  const box = document.getElementById("batch");
  if (!box || (box.dataset.status !== "queued" && box.dataset.status !== "running")) return;
  const bar = document.getElementById("batch-progress");
  const count = document.getElementById("batch-count");
  function poll() {
    fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (b) {
        if (!b) return setTimeout(poll, 2000);
        bar.max = b.total; bar.value = b.progress; count.textContent = b.progress + " / " + b.total;
        if (b.status === "queued" || b.status === "running") setTimeout(poll, 1000); else window.location.reload();
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 500);
})();
