// Post-crisis review charts. The data is in <script type="application/json"
// id="review-chart-data"> (the CSP forbids inline scripts); the same numbers are in a table.
(function () {
  const source = document.getElementById("review-chart-data");
  if (!source || typeof window.Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const colours = { negative: "#cf222e", neutral: "#8c959f", positive: "#2da44e", unscored: "#d0d7de" };
  const labels = data.labels.map(function (label, i) { return data.windows[i] + " " + label; });
  const volume = document.getElementById("review-volume-chart");
  if (volume) {
    new window.Chart(volume, {
      type: "bar",
      data: {
        labels: labels,
        datasets: Object.keys(colours).map(function (name) {
          return { label: name, data: data.series[name], backgroundColor: colours[name], stack: "volume" };
        }),
      },
      options: {
        responsive: true,
        animation: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: "items" } } },
        plugins: { title: { display: true, text: "Items per period by sentiment" } },
      },
    });
  }
  const score = document.getElementById("review-score-chart");
  if (score) {
    new window.Chart(score, {
      type: "line",
      data: {
        labels: labels,
        datasets: [{ label: "mean sentiment score", data: data.mean_score, borderColor: "#1f6feb", spanGaps: true }],
      },
      options: {
        responsive: true,
        animation: false,
        scales: { y: { min: -1, max: 1 } },
        plugins: { title: { display: true, text: "Mean sentiment score (-1 … 1)" } },
      },
    });
  }
})();
