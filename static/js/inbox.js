// The inbox's "select all on this page" box (shown only with JavaScript; each row keeps its own
// labelled checkbox, so the bulk form works without it).
(function () {
  "use strict";
  const all = document.getElementById("select-all");
  if (!all) return;
  const boxes = Array.prototype.slice.call(document.querySelectorAll('input[name="review"]'));
  all.closest(".select-all").hidden = false;
  function sync() {
    const checked = boxes.filter(function (b) { return b.checked; }).length;
    all.checked = checked > 0 && checked === boxes.length;
    all.indeterminate = checked > 0 && checked < boxes.length;
  }
  all.addEventListener("change", function () {
    boxes.forEach(function (b) { b.checked = all.checked; });
  });
  boxes.forEach(function (b) { b.addEventListener("change", sync); });
})();
