// Draw the dashboard's two charts from the numbers the page carries as JSON. The same numbers
// are in a table on the page, so nothing is lost without JavaScript.
//
// null is a day with nothing logged: it is drawn as a gap (no point, no bar), never as 0. A 0
// is something the patient logged (no symptoms, or a fully logged day with no drinks) and is
// drawn: a point on the pain line, a thin bar on the drinks chart.
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var labels = data.labels.map(function (iso) {
    var parts = iso.split("-");
    return new Date(Number(parts[0]), Number(parts[1]) - 1, Number(parts[2]))
      .toLocaleDateString(undefined, { day: "numeric", month: "short" });
  });
  var common = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    plugins: { legend: { display: false } },
  };

  new Chart(document.getElementById("severity-chart"), {
    type: "line",
    data: {
      labels: labels,
      datasets: [{
        label: data.names.severity,
        data: data.severity,
        borderColor: "#0b5394",
        backgroundColor: "#0b5394",
        pointRadius: 3,
        pointHoverRadius: 5,
        spanGaps: false,
      }],
    },
    options: Object.assign({}, common, { scales: { y: { min: 0, max: 10, ticks: { stepSize: 2 } } } }),
  });

  var drinkSets = [{
    label: data.names.drinks,
    data: data.drinks,
    backgroundColor: "#2a7d5f",
    // A logged 0 still shows; a null (not logged) draws nothing whatever this says.
    minBarLength: 3,
    order: 2,
  }];
  if (data.target) {
    drinkSets.push({
      type: "line",
      label: data.names.target,
      data: data.labels.map(function () { return data.target; }),
      borderColor: "#3d2500",
      borderDash: [6, 4],
      pointRadius: 0,
      order: 1,
    });
  }
  var drinksChart = new Chart(document.getElementById("drinks-chart"), {
    type: "bar",
    data: { labels: labels, datasets: drinkSets },
    options: Object.assign({}, common, {
      plugins: { legend: { display: Boolean(data.target) } },
      scales: { y: { min: 0 } },
    }),
  });

  // A drink added in place (static/js/drinks.js) changes that day's bar and its table cell.
  document.addEventListener("drinks:total", function (event) {
    var index = data.labels.indexOf(event.detail.day);
    if (index < 0) { return; }
    drinksChart.data.datasets[0].data[index] = event.detail.totalMl;
    drinksChart.update();
    var cell = document.querySelector('[data-drinks-cell="' + event.detail.day + '"]');
    if (cell) { cell.textContent = String(event.detail.totalMl); }
  });
})();
