/* A form that chooses what a page lists by its address (method GET, data-show-address) always
   shows what the address says. Going back or forward, the browser may bring the page back from
   its cache with the fields as they were last touched, or fill them in again from its memory of
   the form: the list would follow the address while the boxes said something else. On every
   pageshow the form goes back to the values the server wrote into it (its defaults), which are
   the address's. */
(function () {
  "use strict";
  window.addEventListener("pageshow", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-show-address]"), function (form) {
      form.reset();
    });
  });
})();
