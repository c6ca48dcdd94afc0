// Monthly trend of one budget indicator (year to date at each month end), loaded on demand.
(function () {
  "use strict";
  var chart = null;
  function show(button) {
    var box = document.getElementById("kpi-trend");
    var title = document.getElementById("kpi-trend-title");
    fetch(button.getAttribute("data-url"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        box.classList.remove("d-none");
        title.textContent = data.name + "（" + (data.unit || "") + "）月度趋势";
        if (!chart) { chart = window.echarts.init(box); }
        var series = [{ name: "年初至月末", type: "line", data: data.values, connectNulls: true, symbolSize: 8 }];
        if (data.target !== null) {
          series.push({ name: "指标值", type: "line", data: data.months.map(function () { return data.target; }),
            lineStyle: { type: "dashed" }, symbol: "none" });
        }
        chart.setOption({ animation: false, tooltip: { trigger: "axis" }, legend: {}, xAxis: { type: "category", data: data.months },
          yAxis: { type: "value" }, series: series }, true);
      });
  }
  document.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest(".kpi-trend") : null;
    if (b) { show(b); }
  });
})();
