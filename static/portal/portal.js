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
  // An approval being sent says so (a batch of many replies takes seconds, and the greyed
  // button alone said nothing): the form's data-busy-words go into its card's live region
  // (data-busy, aria-live), with or without htmx; an answer that swaps the card ends it.
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!form.dataset || !form.dataset.busy) return;
    const status = document.getElementById(form.dataset.busy);
    if (status) status.textContent = form.dataset.busyWords;
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    const form = event.detail.elt;
    if (!form || !form.dataset || !form.dataset.busy) return;
    const status = document.getElementById(form.dataset.busy);
    if (status && !event.detail.successful) status.textContent = "";
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
