// Indicator charts: each <canvas data-chart="ID"> draws from the JSON data island <script id="ID">.
// The same numbers are always in a table beside the chart; without JavaScript the tables stand alone.
(function () {
  "use strict";

  var BAD = "#9b1c12";
  var LINE = "#1f5f99";
  var TARGET = "#2f7d32";
  var LIMIT = "#8a8a8a";

  function tick(unit) {
    return function (value) { return value + unit; };
  }

  function trend(data) {
    var constant = function (v) { return data.labels.map(function () { return v; }); };
    var datasets = [
      {
        label: data.series.rate,
        data: data.rate,
        borderColor: LINE,
        backgroundColor: data.out.map(function (o) { return o ? BAD : LINE; }),
        pointBackgroundColor: data.out.map(function (o) { return o ? BAD : LINE; }),
        pointRadius: data.out.map(function (o) { return o ? 7 : 3; }),
        pointStyle: data.out.map(function (o) { return o ? "rectRot" : "circle"; }),
        spanGaps: true
      },
      { label: data.series.upper, data: data.upper, borderColor: LIMIT, borderDash: [6, 4], pointRadius: 0, stepped: "middle", spanGaps: false },
      { label: data.series.lower, data: data.lower, borderColor: LIMIT, borderDash: [6, 4], pointRadius: 0, stepped: "middle", spanGaps: false }
    ];
    if (data.centre !== null) {
      datasets.push({ label: data.series.centre, data: constant(data.centre), borderColor: LIMIT, pointRadius: 0, borderWidth: 1 });
    }
    if (data.target !== null) {
      datasets.push({ label: data.series.target, data: constant(data.target), borderColor: TARGET, pointRadius: 0, borderWidth: 2 });
    }
    return {
      type: "line",
      data: { labels: data.labels, datasets: datasets },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { ticks: { callback: tick(data.unit) } } }
      }
    };
  }

  function funnel(data) {
    var line = function (ys, label, dash, noLegend) {
      return {
        noLegend: noLegend,
        type: "line",
        label: label,
        data: data.n.map(function (n, i) { return { x: n, y: ys[i] }; }),
        borderColor: LIMIT,
        borderDash: dash,
        pointRadius: 0,
        borderWidth: 1
      };
    };
    var datasets = [
      {
        type: "scatter",
        label: data.series.hospitals,
        data: data.points,
        pointRadius: 5,
        backgroundColor: data.points.map(function (p) { return p.band === "inside" ? LINE : BAD; })
      },
      line(data.high95, data.series.l95, []),
      line(data.low95, data.series.l95, [], true),
      line(data.high998, data.series.l998, [6, 4]),
      line(data.low998, data.series.l998, [6, 4], true)
    ];
    if (data.centre !== null) {
      datasets.push(line(data.n.map(function () { return data.centre; }), data.series.centre, [2, 2]));
    }
    return {
      type: "scatter",
      data: { datasets: datasets },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { type: "linear", title: { display: true, text: data.series.x } },
          y: { ticks: { callback: tick(data.unit) } }
        },
        plugins: {
          // Upper and lower limits are one series each: one legend entry apiece.
          legend: { labels: { filter: function (item, chartData) { return !chartData.datasets[item.datasetIndex].noLegend; } } },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var p = ctx.raw;
                return (p.label ? p.label + "：" : "") + p.y + data.unit + " (n=" + p.x + ")";
              }
            }
          }
        }
      }
    };
  }

  var BUILDERS = { trend: trend, funnel: funnel };

  function draw() {
    if (typeof window.Chart === "undefined") return;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var island = document.getElementById(canvas.getAttribute("data-chart"));
      if (!island) return;
      var data = JSON.parse(island.textContent);
      var build = BUILDERS[data.kind];
      if (build) new window.Chart(canvas, build(data));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
