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

  var districts = data.districts.slice(0, 20);
  chart("chart-districts", {
    tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
    legend: {top: 0},
    grid: {left: 90, right: 20, top: 36, bottom: 20},
    xAxis: {type: "value", minInterval: 1},
    yAxis: {type: "category", data: districts.map(function (d) { return d.district; }), inverse: true},
    series: ["new", "closed", "overdue"].map(function (key, i) {
      return {name: ["新登记", "已办结", "当前超期"][i], type: "bar", data: districts.map(function (d) { return d[key]; })};
    })
  });

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
