// Demand statistics charts (data from the chart-data json_script element).
document.addEventListener('DOMContentLoaded', function () {
  const el = document.getElementById('chart-data'); if (!el || !window.echarts) return;
  const c = JSON.parse(el.textContent);
  echarts.init(document.getElementById('chart-trend')).setOption({tooltip:{trigger:'axis'},legend:{data:['提交量','办结','满意率(%)']},
    xAxis:{type:'category',data:c.months},yAxis:[{type:'value'},{type:'value',max:100}],
    series:[{name:'提交量',type:'bar',data:c.submitted},{name:'办结',type:'bar',data:c.closed},{name:'满意率(%)',type:'line',yAxisIndex:1,data:c.satisfaction}]});
  echarts.init(document.getElementById('chart-type')).setOption({tooltip:{trigger:'item'},series:[{type:'pie',radius:'65%',data:c.types}]});
  echarts.init(document.getElementById('chart-rank')).setOption({tooltip:{trigger:'axis'},xAxis:{type:'category',data:c.rank_units,axisLabel:{rotate:30}},yAxis:{type:'value',max:100},
    series:[{name:'按时办结率(%)',type:'bar',data:c.rank_values}]});
});
