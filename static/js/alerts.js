// Keeps the incident banner's count in the page title and the nav badge after each poll
// (the banner itself is swapped in by htmx from /alerts/banner/).
(function () {
  "use strict";
  const base = document.title.replace(/^\(\d+\) /, "");
  function update() {
    const data = document.querySelector("#alert-banner .alert-data");
    const count = data ? parseInt(data.getAttribute("data-alert-count"), 10) || 0 : 0;
    document.title = (count ? "(" + count + ") " : "") + base;
    document.querySelectorAll("[data-alert-badge]").forEach(function (badge) {
      badge.textContent = count ? String(count) : "";
      badge.hidden = !count;
    });
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "alert-banner") update();
  });
})();
