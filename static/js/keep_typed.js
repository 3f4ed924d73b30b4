/* Typed text survives a refused form. Staff pages answer a post by redirecting back with a
   banner (post/redirect/get): when the answer is an error, what the person typed would be gone.
   On submit, the form's text fields, selects and dates are kept in this tab's sessionStorage
   under the page's path and the form's place on the page; when the page comes back with an
   error banner, they are put back (only into fields the server left empty or at their default);
   otherwise, and once restored, they are dropped. Passwords, codes, tokens and hidden inputs
   are never kept. A form opts out with data-no-keep; the reply and statement editors keep their
   own text (data-dirty-guard). */
(function () {
  "use strict";
  var PREFIX = "carewatch-typed:";
  var KEPT = ["text", "email", "tel", "url", "number", "search", "date", "time", "datetime-local"];
  var SECRET = /password|passcode|token|secret|otp|code$/i;

  function forms() {
    return Array.prototype.filter.call(document.querySelectorAll("form"), function (f) {
      return (f.getAttribute("method") || "").toLowerCase() === "post" &&
        !f.hasAttribute("data-no-keep") && !f.hasAttribute("data-dirty-guard");
    });
  }
  function keyOf(form) {
    var action = form.querySelector("input[type=hidden][name=action]");
    return PREFIX + location.pathname + "#" + forms().indexOf(form) + ":" +
      (action ? action.value : "");
  }
  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      if (!el.name || el.disabled || SECRET.test(el.name)) return false;
      if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
      return el.tagName === "INPUT" && KEPT.indexOf((el.type || "text").toLowerCase()) >= 0 &&
        (el.autocomplete || "") !== "one-time-code";
    });
  }
  function refused() {
    // the banner of a refused post (messages.error in base.html) or a refused form's summary
    // of its errors, not any alert the page shows
    return !!document.querySelector("main .flash.error, main .error-summary");
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (forms().indexOf(form) < 0) return;
    var values = {};
    fields(form).forEach(function (el) { values[el.name] = el.value; });
    try { sessionStorage.setItem(keyOf(form), JSON.stringify(values)); } catch (e) { /* full */ }
  }, true);

  function restore() {
    var error = refused();
    forms().forEach(function (form) {
      var key = keyOf(form), raw;
      try { raw = sessionStorage.getItem(key); sessionStorage.removeItem(key); } catch (e) { return; }
      if (!raw || !error) return;
      var values = JSON.parse(raw);
      fields(form).forEach(function (el) {
        if (!(el.name in values)) return;
        var untouched = el.tagName === "SELECT" ? el.selectedIndex <= 0
          : el.value === "" || el.value === el.defaultValue;
        if (untouched) el.value = values[el.name];
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", restore);
  else restore();
})();
