// Disable a form's submit button once it is sent, so a double click sends it once. The server
// also ignores a repeated form, so this is only a courtesy for slow connections.
(function () {
  "use strict";
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
      });
    });
  });
})();
