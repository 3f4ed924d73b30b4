// The portal's small behaviours. After htmx swaps an approval card for its outcome, the
// keyboard focus moves to the outcome (else it would fall back to the top of the page).
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function () {
    const target = document.querySelector("[data-focus-after-swap]");
    if (target) {
      target.removeAttribute("data-focus-after-swap");
      target.focus();
    }
  });
  // A field with a rule the server checks (data-rule: a reason's words and length) says that
  // rule when the browser refuses it, not the browser's own words about characters only.
  document.addEventListener("invalid", function (event) {
    const field = event.target;
    if (field.dataset && field.dataset.rule) field.setCustomValidity(field.dataset.rule);
  }, true);
  document.addEventListener("input", function (event) {
    const field = event.target;
    if (field.dataset && field.dataset.rule) field.setCustomValidity("");
  });
  // A failed request (network, server error): say so instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    const form = event.detail.elt;
    const note = document.createElement("p");
    note.className = "error";
    note.setAttribute("role", "alert");
    note.textContent = "That did not work (" + event.detail.xhr.status + "). Reload the page and try again.";
    if (form && form.parentNode) form.parentNode.insertBefore(note, form);
  });
})();
