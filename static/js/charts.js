// Draw the dashboard's two charts from the numbers the page carries as JSON. The same numbers
// are in a table on the page, so nothing is lost without JavaScript.
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
    type: "bar",
    data: {
      labels: labels,
      datasets: [{ label: data.names.severity, data: data.severity, backgroundColor: "#0b5394" }],
    },
    options: Object.assign({}, common, { scales: { y: { min: 0, max: 10, ticks: { stepSize: 2 } } } }),
  });

  var drinkSets = [{ label: data.names.drinks, data: data.drinks, backgroundColor: "#2a7d5f", order: 2 }];
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
  new Chart(document.getElementById("drinks-chart"), {
    type: "bar",
    data: { labels: labels, datasets: drinkSets },
    options: Object.assign({}, common, {
      plugins: { legend: { display: Boolean(data.target) } },
      scales: { y: { min: 0 } },
    }),
  });
})();
