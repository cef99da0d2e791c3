/* The dashboard's interactive charts (Apache ECharts, served by the web app from its npm package).
   The figures come in the page as JSON; nothing is fetched from elsewhere. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("figures-data").textContent);
  var FONT = "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, WenQuanYi Zen Hei, sans-serif";
  var charts = [];

  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el || typeof echarts === "undefined") { return; }
    var instance = echarts.init(el, null, {renderer: "canvas"});
    option.textStyle = {fontFamily: FONT};
    option.animation = false;
    instance.setOption(option);
    charts.push(instance);
  }

  var days = data.daily.map(function (d) { return d.day.slice(5); });
  function series(name, key, type) {
    return {name: name, type: type || "line", data: data.daily.map(function (d) { return d[key]; }), smooth: false};
  }
  chart("chart-daily", {
    tooltip: {trigger: "axis"},
    legend: {top: 0},
    grid: {left: 40, right: 20, top: 36, bottom: 30},
    xAxis: {type: "category", data: days},
    yAxis: {type: "value", minInterval: 1},
    series: [series("新登记", "new", "bar"), series("已受理", "accepted"), series("已办结", "closed"),
             series("超期未办结", "overdue")]
  });

  // Bars per 乡镇 or per staff member (the first 20, as the tables sort them), one series a figure.
  function bars(id, rows, label, figures) {
    chart(id, {
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      legend: {top: 0},
      grid: {left: 10, right: 20, top: 36, bottom: 20, containLabel: true},
      xAxis: {type: "value", minInterval: 1},
      yAxis: {type: "category", data: rows.map(label), inverse: true},
      series: figures.map(function (f) {
        return {name: f[1], type: "bar", data: rows.map(function (row) { return row[f[0]]; })};
      })
    });
  }
  bars("chart-districts", data.districts.slice(0, 20), function (d) { return d.district; },
       [["new", "新登记"], ["accepted", "已受理"], ["closed", "已办结"], ["overdue", "当前超期"]]);
  bars("chart-staff", data.staff.slice(0, 20), function (p) { return p.name + "（" + p.username + "）"; },
       [["accepted", "受理"], ["closed", "办结"], ["overdue", "当前超期"]]);

  chart("chart-programs", {
    tooltip: {trigger: "item"},
    grid: {left: 150, right: 30, top: 10, bottom: 20},
    xAxis: {type: "value", minInterval: 1},
    yAxis: {type: "category", data: data.programs.map(function (p) { return p.name; }), inverse: true},
    series: [{name: "新登记", type: "bar", data: data.programs.map(function (p) { return p.count; }),
              label: {show: true, position: "right"}}]
  });

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
