// Live progress for CSV imports: polls each running job until it is done.
(function () {
  const table = document.getElementById("imports");
  if (!table) return;
  const api = table.dataset.api;
  function refresh() {
    const rows = table.querySelectorAll("tr[data-job]");
    let active = false;
    rows.forEach(function (row) {
      const status = row.dataset.status;
      if (status === "done" || status === "failed") return;
      active = true;
      fetch(api + row.dataset.job + "/", { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (job) {
          if (!job) return;
          row.dataset.status = job.status;
          row.querySelector(".status").textContent = job.status;
          const bar = row.querySelector("progress");
          bar.max = Math.max(job.total_rows, 1);
          bar.value = job.processed_rows;
          row.querySelector(".count").textContent = job.processed_rows + " / " + job.total_rows;
          if (job.status === "done") {
            row.querySelector(".result").textContent = job.created_count + " created, " + job.updated_count +
              " updated, " + job.unchanged_count + " unchanged, " + job.error_count + " rejected";
          } else if (job.status === "failed") {
            row.querySelector(".result").textContent = job.failure;
          }
        });
    });
    if (active) setTimeout(refresh, 1000);
  }
  refresh();
})();
