// Light or dark colours (Bootstrap's data-bs-theme on <html>). Loaded in <head>, before the page
// is drawn, so a dark page never flashes white. "auto" follows the device's setting, and changes
// with it; a choice made with the switch in the footer is remembered on this device.
(function () {
  "use strict";
  var KEY = "colour-mode";
  var MODES = ["auto", "light", "dark"];
  var dark = window.matchMedia("(prefers-color-scheme: dark)");

  function stored() {
    var value = null;
    try {
      value = window.localStorage.getItem(KEY);
    } catch (error) {
      // Storage can be refused (private browsing, blocked storage): then follow the device.
    }
    return MODES.indexOf(value) >= 0 ? value : "auto";
  }

  var mode = stored();

  function apply() {
    var theme = mode === "auto" ? (dark.matches ? "dark" : "light") : mode;
    document.documentElement.setAttribute("data-bs-theme", theme);
  }

  function showChoice() {
    document.querySelectorAll("[data-colour-mode] input[name=colour-mode]").forEach(function (input) {
      input.checked = input.value === mode;
    });
  }

  apply();
  dark.addEventListener("change", apply);
  // A choice made in another tab applies here too.
  window.addEventListener("storage", function (event) {
    if (event.key !== KEY) return;
    mode = stored();
    apply();
    showChoice();
  });

  document.addEventListener("DOMContentLoaded", function () {
    showChoice();
    document.querySelectorAll("[data-colour-mode]").forEach(function (control) {
      control.addEventListener("change", function (event) {
        var input = event.target;
        if (input.name !== "colour-mode" || !input.checked) return;
        mode = input.value;
        try {
          window.localStorage.setItem(KEY, mode);
        } catch (error) {
          // Not remembered; it still applies to this page.
        }
        apply();
      });
      control.hidden = false;
    });
  });
})();
