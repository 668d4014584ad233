// On the sign-up page, suggest the time zone the browser reports, so "today" in the diary
// matches the person's own day. They can still change it before saving.
(function () {
  "use strict";
  var input = document.getElementById("id_time_zone");
  if (!input || !input.form || !("fresh" in input.form.dataset)) { return; }
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var known = document.querySelector("#" + input.getAttribute("list") + " option[value='" + zone + "']");
    if (zone && known) { input.value = zone; }
  } catch (error) {
    // An old browser without Intl time zones keeps the default.
  }
})();
