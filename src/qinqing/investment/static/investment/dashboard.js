// The investment dashboard charts; a click opens the matching project list.
document.addEventListener("DOMContentLoaded", function () {
  const d = JSON.parse(JSON.parse(document.getElementById("dashboard-data").textContent));
  const list = document.getElementById("dashboard-list").dataset.url;
  function bar(id, title, items, param) {
    const c = echarts.init(document.getElementById(id));
    c.setOption({title: {text: title, textStyle: {fontSize: 13}}, tooltip: {}, grid: {left: 120},
      xAxis: {type: "value", name: "万元"}, yAxis: {type: "category", data: items.map(i => i.label).reverse()},
      series: [{type: "bar", data: items.map(i => Number(i.amount_wan)).reverse()}]});
    c.on("click", p => { const it = items[items.length - 1 - p.dataIndex]; if (it.key !== null) location.href = list + "?" + param + "=" + it.key; });
  }
  const m = echarts.init(document.getElementById("chart-monthly"));
  m.setOption({title: {text: "逐月到位资金（万元）", textStyle: {fontSize: 13}}, tooltip: {trigger: "axis"}, legend: {top: 20},
    xAxis: {type: "category", data: d.monthly.map(r => r.month + "月")}, yAxis: {type: "value"},
    series: [{name: "当月", type: "bar", data: d.monthly.map(r => Number(r.amount_wan))},
             {name: "累计", type: "line", data: d.monthly.map(r => Number(r.cum_amount_wan))},
             {name: "区外累计", type: "line", data: d.monthly.map(r => Number(r.cum_outside_wan))}]});
  bar("chart-unit", "按单位", d.breakdowns.unit.slice(0, 15), "unit");
  bar("chart-cluster", "按产业集群", d.breakdowns.cluster.slice(0, 15), "cluster");
  bar("chart-source", "按来源", d.breakdowns.source, "source");
  bar("chart-chain", "按产业链", d.breakdowns.chain.slice(0, 15), "chain");
  bar("chart-investor", "按投资主体类型", d.breakdowns.investor_type, "investor_type");
  bar("chart-size", "按项目规模", d.breakdowns.size_band, "size_band");
});
