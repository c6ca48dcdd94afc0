// Evaluation charts (ranking bars, scorecard radar). Data comes from json_script blocks; no inline scripts.
(function () {
  "use strict";
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function draw(el) {
    if (typeof echarts === "undefined") { return; }
    var d = data(el.dataset.source);
    if (!d) { return; }
    el.classList.add("evaluation-chart-ready");
    el.style.height = el.dataset.kind === "radar" ? "380px" : Math.max(260, 28 * d.units.length + 60) + "px";
    var chart = echarts.init(el);
    if (el.dataset.kind === "radar") {
      chart.setOption({
        tooltip: {},
        legend: { data: ["本单位", "中位数"] },
        radar: { indicator: d.topics.map(function (t) { return { name: t, max: 100 }; }) },
        series: [{ type: "radar", data: [{ name: "本单位", value: d.unit }, { name: "中位数", value: d.median }] }]
      });
    } else {
      chart.setOption({
        tooltip: {},
        grid: { left: 160, right: 30, top: 10, bottom: 30 },
        xAxis: { type: "value", max: 100 },
        yAxis: { type: "category", data: d.units.slice().reverse() },
        series: [{ type: "bar", data: d.scores.slice().reverse() }]
      });
    }
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".evaluation-chart").forEach(draw);
  });
})();
