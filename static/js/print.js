// The "Print" button on the pre-visit summary (kept out of the HTML so a strict CSP holds).
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
