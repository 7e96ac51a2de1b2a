// Team structure page: one ECharts chart per dimension, drawn from the JSON the page carries (json_script
// "member-structure-data"); each chart goes into the element with the matching data-chart key. The tables beside
// the charts hold the same figures, so nothing is lost without JavaScript.
(function () {
  "use strict";

  // Okabe–Ito: distinguishable with the common colour-vision deficiencies.
  const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];
  const BAR = "#0072B2";
  const HIGHLIGHT = "#E69F00";
  const FONT = '"WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", sans-serif';

  function tooltip(p) {
    return p.name + "：" + p.value + " 名（" + p.data.share + "%）";
  }

  function barOption(d) {
    return {
      color: [BAR],
      textStyle: { fontFamily: FONT },
      grid: { left: 8, right: 56, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "item", formatter: tooltip },
      xAxis: {
        type: "value",
        minInterval: 1,
        splitNumber: 3,
        axisLabel: { hideOverlap: true },
        splitLine: { lineStyle: { color: "#eee" } },
      },
      yAxis: {
        type: "category",
        inverse: true,
        data: d.items.map(function (i) { return i.name; }),
        axisTick: { show: false },
      },
      series: [{
        type: "bar",
        barMaxWidth: 22,
        data: d.items.map(function (i) {
          return {
            name: i.name,
            value: i.value,
            share: i.share,
            itemStyle: i.highlight ? { color: HIGHLIGHT, borderColor: "#000", borderWidth: 1 } : undefined,
          };
        }),
        label: { show: true, position: "right", formatter: function (p) { return p.data.share + "%"; } },
      }],
    };
  }

  function pieOption(d) {
    return {
      color: PALETTE,
      textStyle: { fontFamily: FONT },
      tooltip: { trigger: "item", formatter: tooltip },
      legend: { bottom: 0, itemWidth: 12, itemHeight: 12 },
      series: [{
        type: "pie",
        radius: ["34%", "58%"],
        center: ["50%", "45%"],
        avoidLabelOverlap: true,
        itemStyle: { borderColor: "#fff", borderWidth: 2 },
        // Labels are aligned to the chart's edges so a slice at the far left or right never pushes its label out.
        label: {
          alignTo: "edge",
          edgeDistance: 6,
          minMargin: 4,
          lineHeight: 15,
          formatter: function (p) { return p.name + "\n" + p.data.share + "%"; },
        },
        labelLine: { length: 8, length2: 0, maxSurfaceAngle: 80 },
        data: d.items.filter(function (i) { return i.value > 0; }).map(function (i) {
          return { name: i.name, value: i.value, share: i.share };
        }),
      }],
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    const source = document.getElementById("member-structure-data");
    if (!source || typeof window.echarts === "undefined") return;
    const charts = [];
    JSON.parse(source.textContent).forEach(function (d) {
      const el = document.querySelector('[data-chart="' + d.key + '"]');
      if (!el) return;
      const total = d.items.reduce(function (sum, i) { return sum + i.value; }, 0);
      if (!total) {
        el.classList.add("structure-chart-empty");
        el.textContent = "暂无数据";
        return;
      }
      const chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(d.chart === "pie" ? pieOption(d) : barOption(d));
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
  });
})();
