/* "Copy the text" beside a reply to post by hand (the outbox, a batch's "Posted by hand"
   form): a button with data-copy="<id of the read-only textarea>" copies its text. Loaded as a
   file (the pages' CSP allows no inline script); without it the buttons stay hidden and the
   text can still be selected and copied by hand. */
(function () {
  "use strict";
  function done(button, words) {
    if (!button.hasAttribute("data-label")) { button.setAttribute("data-label", button.innerHTML); }
    button.textContent = words;
    window.setTimeout(function () { button.innerHTML = button.getAttribute("data-label"); }, 2000);
  }
  function copy(button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) { return; }
    var text = field.value;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { done(button, "Copied"); },
        function () { fallback(button, field); }
      );
    } else {
      fallback(button, field);
    }
  }
  function fallback(button, field) {
    field.focus();
    field.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    done(button, ok ? "Copied" : "Selected: press Ctrl+C (⌘C) to copy");
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
      button.hidden = false;
      button.setAttribute("aria-live", "polite");
      button.addEventListener("click", function () { copy(button); });
    });
  });
})();
