/* Half-typed forms are not left by accident: the reply editor's guard (responses_editor.js,
   "beforeunload" while the text differs from what was loaded), for any form marked
   data-leave-guard (the fact sheet, reply templates, a private follow-up). What each field
   held when the page loaded is the baseline; leaving with a change asks first; submitting the
   form, or a page shown again from the browser's cache, does not. */
(function () {
  "use strict";
  var guarded = Array.prototype.slice.call(document.querySelectorAll("form[data-leave-guard]"));
  if (!guarded.length) return;
  var leaving = false;
  function values(form) {
    return Array.prototype.map.call(form.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.type === "submit" || el.type === "button") return "";
      if (el.type === "checkbox" || el.type === "radio") return el.checked ? "1" : "0";
      return (el.value || "").replace(/\r\n/g, "\n").trim();
    }).join("\u0000");
  }
  var baseline = guarded.map(values);
  function dirty() {
    return guarded.some(function (form, i) { return values(form) !== baseline[i]; });
  }
  guarded.forEach(function (form) {
    form.addEventListener("submit", function () { leaving = true; });
  });
  window.addEventListener("pageshow", function () { leaving = false; });
  window.addEventListener("beforeunload", function (event) {
    if (!leaving && dirty()) { event.preventDefault(); event.returnValue = ""; }
  });
})();
