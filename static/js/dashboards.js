// Dashboards: the charts of the leader's view, drawn from the figures the page carries (json_script
// "dashboard-data") into the elements marked data-chart. Colour-blind-safe colours (Okabe–Ito; the heat map a
// diverging orange–purple scale); the print view draws SVG without animation so the charts print sharp.
(function () {
  "use strict";

  const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];
  // Bands rather than a continuous scale: most months sit between 90% and 100%, where the differences matter.
  const HEAT = [
    { lt: 60, color: "#b35806", label: "低于60%" },
    { gte: 60, lt: 80, color: "#f1a340", label: "60%–80%" },
    { gte: 80, lt: 90, color: "#fee0b6", label: "80%–90%" },
    { gte: 90, lt: 95, color: "#d8daeb", label: "90%–95%" },
    { gte: 95, lt: 100, color: "#998ec3", label: "95%–100%" },
    { gte: 100, color: "#542788", label: "100%" },
  ];
  const FONT = '"WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", sans-serif';

  function num(text) { return text === null || text === undefined ? null : Number(text); }

  function trendOption(t) {
    return {
      color: PALETTE,
      textStyle: { fontFamily: FONT },
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          const lines = [items[0].axisValue + "年"];
          items.forEach(function (p) {
            if (p.value === null || p.value === undefined) return;
            const s = t.series[p.seriesIndex];
            lines.push(p.marker + s.name + "：第 " + p.value + " 名 / " + s.sizes[p.dataIndex] + "，" + (s.totals[p.dataIndex] || "—") + " 分");
          });
          return lines.join("<br>");
        },
      },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 8, right: 16, top: 16, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: t.years.map(String), boundaryGap: false },
      yAxis: { type: "value", inverse: true, min: 1, minInterval: 1, name: "名次", nameLocation: "start" },
      series: t.series.map(function (s, i) {
        return {
          name: s.name, type: "line", data: s.ranks, connectNulls: false, symbolSize: 7,
          // Shapes as well as colours tell the lines apart.
          symbol: ["circle", "rect", "triangle", "diamond", "pin", "arrow", "roundRect"][i % 7],
        };
      }),
    };
  }

  function heatOption(h) {
    const data = [];
    h.rows.forEach(function (row, y) {
      row.rates.forEach(function (rate, x) {
        if (rate === null) return;
        const v = num(rate);
        // White figures on the two darkest bands, dark ones elsewhere: readable in every cell.
        data.push({ value: [x, y, v], label: { color: v >= 95 || v < 60 ? "#fff" : "#212529" } });
      });
    });
    return {
      textStyle: { fontFamily: FONT },
      tooltip: {
        formatter: function (p) {
          const row = h.rows[p.value[1]];
          return row.name + " " + h.months[p.value[0]] + "：达标率 " + p.value[2] + "%，未达标 " + row.missed[p.value[0]] + " 项";
        },
      },
      grid: { left: 8, right: 8, top: 8, bottom: 48, containLabel: true },
      xAxis: { type: "category", data: h.months, splitArea: { show: true } },
      yAxis: { type: "category", data: h.rows.map(function (r) { return r.name; }), inverse: true, splitArea: { show: true } },
      visualMap: {
        type: "piecewise", pieces: HEAT, orient: "horizontal", left: "center", bottom: 0,
        itemWidth: 14, itemHeight: 10, textStyle: { fontSize: 11 },
      },
      series: [{
        type: "heatmap", data: data,
        label: { show: true, fontSize: 10, formatter: function (p) { return Math.round(p.value[2]); } },
        itemStyle: { borderColor: "#fff", borderWidth: 1 },
      }],
    };
  }

  function pyramidOption(s) {
    return {
      color: ["#0072B2", "#E69F00"],
      textStyle: { fontFamily: FONT },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: function (v) { return Math.abs(v) + " 名"; } },
      legend: { bottom: 0 },
      grid: { left: 8, right: 16, top: 8, bottom: 32, containLabel: true },
      xAxis: { type: "value", axisLabel: { formatter: function (v) { return Math.abs(v); } } },
      yAxis: { type: "category", data: s.bands, axisTick: { show: false } },
      series: [
        { name: "男", type: "bar", stack: "age", data: s.male.map(function (v) { return -v; }),
          label: { show: true, position: "left", formatter: function (p) { return Math.abs(p.value); } } },
        { name: "女", type: "bar", stack: "age", data: s.female, label: { show: true, position: "right" } },
      ],
    };
  }

  function educationOption(s) {
    return {
      color: ["#009E73"],
      textStyle: { fontFamily: FONT },
      tooltip: { trigger: "item", formatter: function (p) { return p.name + "：" + p.value + " 名"; } },
      grid: { left: 8, right: 40, top: 4, bottom: 4, containLabel: true },
      xAxis: { type: "value", show: false },
      yAxis: { type: "category", inverse: true, data: s.education.map(function (e) { return e[0]; }), axisTick: { show: false } },
      series: [{ type: "bar", barMaxWidth: 16, data: s.education.map(function (e) { return e[1]; }), label: { show: true, position: "right" } }],
    };
  }

  const BUILDERS = {
    trend: function (d) { return d.trend.series.length ? trendOption(d.trend) : null; },
    heatmap: function (d) { return d.heatmap.rows.length ? heatOption(d.heatmap) : null; },
    pyramid: function (d) { return d.structure.total ? pyramidOption(d.structure) : null; },
    education: function (d) { return d.structure.education.length ? educationOption(d.structure) : null; },
  };

  document.addEventListener("DOMContentLoaded", function () {
    const source = document.getElementById("dashboard-data");
    if (!source || typeof window.echarts === "undefined") return;
    const data = JSON.parse(source.textContent);
    const print = document.body.classList.contains("dashboard-print");
    const charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      const build = BUILDERS[el.dataset.chart];
      const option = build && build(data);
      if (!option) return;
      if (el.dataset.chart === "heatmap") el.style.height = Math.max(220, 60 + 26 * data.heatmap.rows.length) + "px";
      const chart = window.echarts.init(el, null, { renderer: print ? "svg" : "canvas" });
      option.animation = !print;
      chart.setOption(option);
      charts.push(chart);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
    window.addEventListener("beforeprint", function () { charts.forEach(function (c) { c.resize(); }); });
  });
})();
