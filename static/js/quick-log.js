// The quick log's start time. A new entry starts "now" in the patient's own time zone, set when
// the page is shown (a page kept by the offline app may be hours old), and the buttons set a few
// common earlier starts. Without JavaScript the date and time fields, filled in by the server,
// do the same job.
(function () {
  "use strict";
  var form = document.getElementById("quick-log");
  if (!form) { return; }
  var day = form.querySelector("input[name=start_date]");
  var time = form.querySelector("input[name=start_time]");
  var summary = form.querySelector("[data-start-summary]");
  var presets = form.querySelector("[data-start-presets]");
  var zone = form.dataset.zone || undefined;

  function parts(when) {
    var out = {};
    new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).formatToParts(when).forEach(function (part) { out[part.type] = part.value; });
    return out;
  }

  function setStart(minutesAgo) {
    var p = parts(new Date(Date.now() - minutesAgo * 60000));
    day.value = p.year + "-" + p.month + "-" + p.day;
    time.value = p.hour + ":" + p.minute;
    if (summary) {
      summary.textContent = minutesAgo === 0
        ? summary.dataset.now
        : summary.dataset.at.replace("%s", time.value);
    }
  }

  if (presets && day && time) {
    presets.hidden = false;
    presets.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-minutes-ago]");
      if (button) { setStart(Number(button.dataset.minutesAgo)); }
    });
  }
  // A new, untouched form: start now, and again when the page is shown from the back/forward
  // cache or the offline copy.
  if ("fresh" in form.dataset && day && time) {
    var touched = false;
    [day, time].forEach(function (input) {
      input.addEventListener("input", function () { touched = true; });
    });
    var refresh = function () { if (!touched) { setStart(0); } };
    refresh();
    window.addEventListener("pageshow", refresh);
  }
})();
