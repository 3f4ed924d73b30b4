/* Small helpers for people on a phone, a keyboard or a screen reader, on every staff page (and
   the result-focus on the portal's):
   - Tables (table.table): on a phone each row is a card (app.css, <= 640 px) and each cell shows
     its column's heading before it. The heading's words are copied here from the <thead> into
     each cell's data-label, so there is one source of them; a cell the template labelled keeps
     its label, a cell spanning several columns gets none. The table keeps its semantics: the
     headings stay in the page for screen readers, and the explicit roles keep a table a table
     in browsers that drop it when its cells are displayed as blocks. New rows (htmx, a page's
     own script) are labelled as they arrive. The dashboard labels its own (.dashboard).
   - The result of a post (.flash with a role, or a form's .error-summary or .error alert
     "Please correct the fields marked below", or a filter's "Nothing is listed", rendered with
     the page): focused on load, without scrolling, so that a screen reader reads it and Tab
     goes on from there; not when the address names a place or a field has autofocus.
   - A figure's words (.trend > .tip), shown on hover and on focus: Esc hides them.
   - A row of tabs that scrolls sideways on a phone (app.css): its current tab is brought into
     the middle of the row when it is out of sight (Settings is the clinic's last tab). */
(function () {
  "use strict";
  var ROLES = { TABLE: "table", THEAD: "rowgroup", TBODY: "rowgroup", TFOOT: "rowgroup", TR: "row" };

  function headingWords(th) {
    if (th.hasAttribute("data-label")) { return th.getAttribute("data-label"); }
    var copy = th.cloneNode(true);
    Array.prototype.forEach.call(copy.querySelectorAll("[aria-hidden='true']"), function (el) {
      el.parentNode.removeChild(el);
    });
    return copy.textContent.replace(/\s+/g, " ").trim();
  }

  function labelTable(table) {
    if (table.classList.contains("dashboard") || !table.tHead || !table.tHead.rows.length) { return; }
    var head = table.tHead.rows[table.tHead.rows.length - 1];
    var words = [];
    Array.prototype.forEach.call(head.cells, function (th) {
      var w = headingWords(th);
      for (var i = 0; i < th.colSpan; i++) { words.push(w); }
    });
    Array.prototype.forEach.call(table.querySelectorAll("thead, tbody, tfoot, tr, th, td"), function (el) {
      if (el.closest("table") !== table || el.hasAttribute("role")) { return; }
      var role = ROLES[el.tagName];
      if (el.tagName === "TH") { role = el.parentNode.parentNode.tagName === "THEAD" ? "columnheader" : "rowheader"; }
      if (el.tagName === "TD") { role = "cell"; }
      el.setAttribute("role", role);
    });
    if (!table.hasAttribute("role")) { table.setAttribute("role", "table"); }
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var col = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (cell.tagName === "TD" && cell.colSpan === 1 && !cell.hasAttribute("data-label") && words[col]) {
            cell.setAttribute("data-label", words[col]);
          }
          col += cell.colSpan;
        });
      });
    });
  }

  function labelTables() {
    Array.prototype.forEach.call(document.querySelectorAll("table.table"), labelTable);
  }

  function focusResult() {
    var flash = document.querySelector(".error-summary, .flash[role], .error[role='alert']");
    if (!flash || window.location.hash || document.querySelector("[autofocus]")) { return; }
    if (document.activeElement && document.activeElement !== document.body) { return; }
    if (!flash.hasAttribute("tabindex")) { flash.setAttribute("tabindex", "-1"); }
    flash.focus({ preventScroll: true });
  }

  function tipsDismissible() {
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") { return; }
      Array.prototype.forEach.call(document.querySelectorAll(".trend:hover, .trend:focus"), function (trend) {
        trend.classList.add("tip-off");
      });
    });
    ["focusout", "mouseout"].forEach(function (type) {
      document.addEventListener(type, function (event) {
        var trend = event.target.closest && event.target.closest(".trend.tip-off");
        if (trend && !trend.contains(event.relatedTarget)) { trend.classList.remove("tip-off"); }
      });
    });
  }

  function currentTabsInSight() {
    Array.prototype.forEach.call(document.querySelectorAll(".tabs, .subnav, .topnav"), function (row) {
      var current = row.querySelector("[aria-current='page']");
      if (!current || row.scrollWidth <= row.clientWidth) { return; }
      var box = row.getBoundingClientRect(), tab = current.getBoundingClientRect();
      if (tab.left >= box.left && tab.right <= box.right) { return; }
      row.scrollLeft += tab.left + tab.width / 2 - (box.left + box.width / 2);
    });
  }

  function start() {
    labelTables();
    focusResult();
    tipsDismissible();
    currentTabsInSight();
    var pending = false;
    new MutationObserver(function () {
      if (pending) { return; }
      pending = true;
      window.requestAnimationFrame(function () { pending = false; labelTables(); });
    }).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
