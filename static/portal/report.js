// The monthly report's charts, from the JSON in <script id="report-data"> (the CSP forbids
// inline scripts). The same numbers are in the tables under the charts.
(function () {
  "use strict";
  function draw() {
    const source = document.getElementById("report-data");
    if (!source || typeof window.Chart === "undefined") return;
    const data = JSON.parse(source.textContent);
    const css = getComputedStyle(document.documentElement);
    // Lines and bars stand on the white page: the brand colour in the shade that shows there
    // (the portal's --brand-text, the staff pages' --brand-line, both contrast-checked); the
    // raw colour drew a light brand (#ffee00) at 1.2:1.
    const brand = (
      css.getPropertyValue("--brand-text") ||
      css.getPropertyValue("--brand-line") ||
      css.getPropertyValue("--brand") ||
      "#1f6feb"
    ).trim();
    const colours = { positive: "#1a7f37", neutral: "#6e7781", negative: "#cf222e" };
    const days = data.daily.map(function (d) { return d.date.slice(8); });
    const common = { responsive: true, maintainAspectRatio: false, animation: false };
    const volume = document.getElementById("chart-volume");
    if (volume) {
      new window.Chart(volume, {
        type: "bar",
        data: {
          labels: days,
          datasets: ["positive", "neutral", "negative"].map(function (name) {
            return { label: name, data: data.daily.map(function (d) { return d[name]; }), backgroundColor: colours[name], stack: "s" };
          }),
        },
        options: Object.assign({}, common, { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } }),
      });
    }
    // A day with no rating (no review that day) is a gap in the line (null, spanGaps: false):
    // a line drawn across it read as ratings on days that had none.
    const rating = document.getElementById("chart-rating");
    if (rating) {
      new window.Chart(rating, {
        type: "line",
        data: {
          labels: days,
          datasets: [
            { label: "average rating (1-5)", data: data.daily.map(function (d) { return d.average_rating; }), borderColor: brand, backgroundColor: brand, spanGaps: false, yAxisID: "y" },
            { label: "sentiment (-1 … 1)", data: data.daily.map(function (d) { return d.average_score; }), borderColor: "#6e7781", backgroundColor: "#6e7781", borderDash: [4, 3], spanGaps: false, yAxisID: "y1" },
          ],
        },
        options: Object.assign({}, common, { scales: { y: { min: 1, max: 5, position: "left" }, y1: { min: -1, max: 1, position: "right", grid: { drawOnChartArea: false } } } }),
      });
    }
    const mix = document.getElementById("chart-mix");
    if (mix) {
      const s = data.sentiment;
      new window.Chart(mix, {
        type: "doughnut",
        data: {
          labels: ["positive", "neutral", "negative", "not scored"],
          datasets: [{ data: [s.positive, s.neutral, s.negative, s.unscored], backgroundColor: [colours.positive, colours.neutral, colours.negative, "#d0d7de"] }],
        },
        options: common,
      });
    }
    const response = document.getElementById("chart-response");
    if (response) {
      new window.Chart(response, {
        type: "bar",
        data: {
          labels: data.weekly.map(function (w) { return w.label; }),
          datasets: [{
            label: "median hours to reply",
            data: data.weekly.map(function (w) { return w.median_response_minutes === null ? null : Math.round(w.median_response_minutes / 6) / 10; }),
            backgroundColor: brand,
          }],
        },
        options: Object.assign({}, common, { scales: { y: { beginAtZero: true } } }),
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
