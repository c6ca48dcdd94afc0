// The leaders' cockpit charts; a click drills down to the matching demands.
document.addEventListener('DOMContentLoaded', function () {
  const el = document.getElementById('chart-data'); if (!el || !window.echarts) return;
  const c = JSON.parse(el.textContent);
  const base = document.getElementById("chart-drill").dataset.base;
  const charts = [];
  function mount(id, option, dimension) {
    const node = document.getElementById(id); if (!node) return;
    const chart = echarts.init(node); chart.setOption(option); charts.push(chart);
    if (dimension) chart.on('click', p => { const key = (p.data && p.data.key) || p.name; window.location = base + '&dimension=' + dimension + '&key=' + encodeURIComponent(key); });
  }
  const big = {fontSize: 14};
  mount('chart-trend', {tooltip:{trigger:'axis'},legend:{data:['诉求量','办结','办结率(%)','满意率(%)'],textStyle:big},grid:{left:40,right:40,bottom:30},
    xAxis:{type:'category',data:c.months,axisLabel:big},yAxis:[{type:'value'},{type:'value',max:100}],
    series:[{name:'诉求量',type:'bar',data:c.submitted},{name:'办结',type:'bar',data:c.closed},
            {name:'办结率(%)',type:'line',yAxisIndex:1,data:c.close_rate},{name:'满意率(%)',type:'line',yAxisIndex:1,data:c.satisfaction}]}, 'month');
  const pie = d => ({tooltip:{trigger:'item'},series:[{type:'pie',radius:['35%','70%'],label:{fontSize:13},data:d}]});
  const bar = d => ({tooltip:{},grid:{left:90,right:20,top:10,bottom:20},xAxis:{type:'value'},yAxis:{type:'category',inverse:true,axisLabel:big,data:d.map(x=>x.name)},series:[{type:'bar',data:d}]});
  mount('chart-category', pie(c.categories), 'category');
  mount('chart-rank', {tooltip:{},grid:{left:40,right:10,bottom:60},xAxis:{type:'category',data:c.ranking.map(x=>x.name),axisLabel:{rotate:35,fontSize:12}},yAxis:{type:'value',max:100},
    series:[{name:'按时办结率(%)',type:'bar',data:c.ranking}]}, 'unit');
  mount('chart-terms', bar(c.terms.slice(0,12)), 'term');
  mount('chart-industry', bar(c.industries.slice(0,8)), 'industry');
  mount('chart-scale', pie(c.scales), 'scale');
  mount('chart-ownership', pie(c.ownerships), 'ownership');
  mount('chart-channel', pie(c.channels), 'channel');
  mount('chart-visits', {tooltip:{trigger:'axis'},grid:{left:30,right:10,top:10,bottom:25},xAxis:{type:'category',data:c.visits.months},yAxis:{type:'value'},series:[{name:'走访次数',type:'line',data:c.visits.values}]}, null);
  window.addEventListener('resize', () => charts.forEach(x => x.resize()));
});
