// Keeps the incident banner's count in the page title and the nav badge after each poll
// (the banner itself is swapped in by htmx from /alerts/banner/).
// A poll that brings the banner already shown is not swapped in: each incident's line is a
// role="alert", and a screen reader announces an alert inserted again, every 5 seconds.
(function () {
  "use strict";
  function markup(html) {
    const holder = document.createElement("template");
    holder.innerHTML = html;
    return holder.innerHTML.trim();
  }
  let shown = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    const target = event.detail.target;
    if (!target || target.id !== "alert-banner" || !event.detail.shouldSwap) return;
    if (shown === null) shown = markup(target.innerHTML);
    const next = markup(event.detail.serverResponse);
    if (next === shown) {
      event.detail.shouldSwap = false;
    } else {
      shown = next;
    }
  });
  const base = document.title.replace(/^\(\d+\) /, "");
  function update() {
    const data = document.querySelector("#alert-banner .alert-data");
    const count = data ? parseInt(data.getAttribute("data-alert-count"), 10) || 0 : 0;
    document.title = (count ? "(" + count + ") " : "") + base;
    document.querySelectorAll("[data-alert-badge]").forEach(function (badge) {
      // the number only: the words beside it ("waiting for you") name it for screen readers
      const number = badge.querySelector("[data-alert-number]") || badge;
      number.textContent = count ? String(count) : "";
      badge.hidden = !count;
    });
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "alert-banner") update();
  });
})();
