// The ranking chart: each unit's index with its 95 % interval as an error bar.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("qs-chart");
    var src = document.getElementById("qs-chart-data");
    if (!el || !src || typeof echarts === "undefined") { return; }
    var d = JSON.parse(src.textContent);
    if (!d.units.length) { el.classList.add("d-none"); return; }
    var chart = echarts.init(el);
    chart.setOption({
      grid: { left: 110, right: 20, top: 10, bottom: 30 },
      xAxis: { type: "value", min: function (v) { return Math.max(0, Math.floor(v.min - 5)); }, max: 100 },
      yAxis: { type: "category", data: d.units, inverse: true },
      tooltip: { trigger: "axis" },
      series: [
        { name: "指数", type: "scatter", data: d.mean, symbolSize: 10 },
        { name: "95% 区间", type: "custom", data: d.units.map(function (u, i) { return [i, d.low[i], d.high[i]]; }),
          renderItem: function (params, api) {
            if (api.value(1) === null || isNaN(api.value(1))) { return null; }
            var a = api.coord([api.value(1), api.value(0)]), b = api.coord([api.value(2), api.value(0)]);
            return { type: "line", shape: { x1: a[0], y1: a[1], x2: b[0], y2: b[1] }, style: { stroke: "#5470c6", lineWidth: 2 } };
          }, encode: { x: [1, 2], y: 0 } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
