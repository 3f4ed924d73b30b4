/* Half-typed forms are not left by accident: the reply editor's guard (responses_editor.js,
   "beforeunload" while the text differs from what was loaded), for any form marked
   data-leave-guard (the fact sheet, reply templates, a private follow-up, the portal's
   comments to send a text back or ask legal). What each field held when it was put on the
   page (its default value: the page's own, or a card htmx swapped in) is the baseline;
   leaving with a change asks first; submitting a form that leaves the page, or a page shown
   again from the browser's cache, does not. A form htmx sends stays on the page: the guard
   goes on watching the others. */
(function () {
  "use strict";
  var leaving = false;
  function changed(el) {
    if (!el.name || el.type === "hidden" || el.type === "submit" || el.type === "button") return false;
    if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
    if (el.tagName === "SELECT") {
      return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    var now = (el.value || "").replace(/\r\n/g, "\n").trim();
    return now !== (el.defaultValue || "").replace(/\r\n/g, "\n").trim();
  }
  function dirty() {
    return Array.prototype.some.call(document.querySelectorAll("form[data-leave-guard]"), function (form) {
      return Array.prototype.some.call(form.elements, changed);
    });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form && form.matches && form.matches("form[data-leave-guard]") && !form.hasAttribute("hx-post")) {
      leaving = true;
    }
  });
  window.addEventListener("pageshow", function () { leaving = false; });
  window.addEventListener("beforeunload", function (event) {
    if (!leaving && dirty()) { event.preventDefault(); event.returnValue = ""; }
  });
})();
