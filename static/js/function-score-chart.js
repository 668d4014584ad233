// Draw the weekly function score (PEG) chart from the numbers the page carries as JSON
// (templates/tracker/scores/chart.html). The same numbers are in a table beside it, so nothing
// is lost without JavaScript. null is a week without answers: a gap, never 0.
(function () {
  "use strict";
  var source = document.getElementById("function-score-data");
  var canvas = document.getElementById("function-score-chart");
  if (!source || !canvas || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var labels = data.labels.map(function (iso) {
    var parts = iso.split("-");
    return new Date(Number(parts[0]), Number(parts[1]) - 1, Number(parts[2]))
      .toLocaleDateString(undefined, { day: "numeric", month: "short" });
  });
  new Chart(canvas, {
    type: "line",
    data: {
      labels: labels,
      datasets: [{
        label: data.name,
        data: data.scores,
        borderColor: "#6a3d9a",
        backgroundColor: "#6a3d9a",
        pointRadius: 4,
        pointHoverRadius: 6,
        spanGaps: false,
      }],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: false } },
      scales: { y: { min: 0, max: 10, ticks: { stepSize: 2 } } },
    },
  });
})();
