// 考核评价 pages: the pickers reload the page when changed; the charts are drawn from the JSON the page carries
// (json_script "assessments-chart-data"), one per element with a data-chart key: "grades" (the ranking page's grade
// distribution) and "trend" (an organization's rank — on an inverted axis, first place on top — and total over the
// years). The tables beside them hold the same numbers, so nothing is lost without JavaScript. No inline scripts.
(function () {
  "use strict";

  const FONT = '"WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", sans-serif';
  const RANK = "#2166ac"; // blue
  const TOTAL = "#e08214"; // orange: told apart from the blue with every common colour-vision deficiency

  function grades(items, narrow) {
    return {
      animation: false,
      textStyle: { fontFamily: FONT },
      grid: { left: 8, right: 16, top: 24, bottom: 8, containLabel: true },
      tooltip: { trigger: "item", formatter: function (p) { return p.name + "：" + p.value + " 个组织"; } },
      xAxis: { type: "category", data: items.map(function (i) { return i.grade; }), axisTick: { show: false } },
      yAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#eee" } } },
      series: [{
        type: "bar",
        barMaxWidth: narrow ? 36 : 48,
        data: items.map(function (i) { return { value: i.count, name: i.grade, itemStyle: { color: i.colour } }; }),
        label: { show: true, position: "top", formatter: "{c}" },
      }],
    };
  }

  // Two panels over one row of years: rank above (inverted: first place on top), total below, so their labels
  // never sit on each other.
  function trend(data, narrow) {
    const maxSize = Math.max.apply(null, data.sizes.filter(function (s) { return s; }).concat([1]));
    const step = Math.max(1, Math.ceil((maxSize - 1) / 4));
    const label = function (suffix) {
      return function (p) { return p.value === null || p.value === undefined ? "" : p.value + suffix; };
    };
    return {
      animation: false,
      textStyle: { fontFamily: FONT },
      grid: [
        { left: 8, right: 16, top: 28, height: "32%", containLabel: true },
        { left: 8, right: 16, bottom: 24, height: "32%", containLabel: true },
      ],
      title: [
        { text: "排名（第几名，共几个）", left: 4, top: 0, textStyle: { fontSize: 12, fontWeight: "normal", color: "#495057" } },
        { text: "得分", left: 4, top: "50%", textStyle: { fontSize: 12, fontWeight: "normal", color: "#495057" } },
      ],
      tooltip: {
        trigger: "axis",
        formatter: function (ps) {
          const i = ps[0].dataIndex;
          const rank = data.ranks[i] === null ? "未排名" : "第 " + data.ranks[i] + " / " + data.sizes[i] + " 名";
          const total = data.totals[i] === null ? "—" : data.totals[i] + " 分";
          return data.years[i] + "年<br>" + rank + "<br>" + total + (data.grades[i] ? "<br>等次：" + data.grades[i] : "");
        },
      },
      axisPointer: { link: [{ xAxisIndex: "all" }] },
      xAxis: [
        { type: "category", gridIndex: 0, data: data.years, axisLabel: { show: false }, axisTick: { show: false } },
        { type: "category", gridIndex: 1, data: data.years },
      ],
      yAxis: [
        {
          type: "value", gridIndex: 0, inverse: true, min: 1, max: maxSize, interval: step,
          splitLine: { lineStyle: { color: "#eee" } },
        },
        {
          type: "value", gridIndex: 1, scale: true, max: 100, splitNumber: 3,
          splitLine: { lineStyle: { color: "#eee" } },
        },
      ],
      series: [
        {
          name: "排名", type: "line", xAxisIndex: 0, yAxisIndex: 0, data: data.ranks, symbol: "circle",
          symbolSize: 9, connectNulls: false, lineStyle: { color: RANK, width: 2 }, itemStyle: { color: RANK },
          label: {
            show: true, position: "bottom",
            formatter: function (p) {
              return p.value === null ? "" : "第" + p.value + (narrow ? "" : "/" + data.sizes[p.dataIndex]);
            },
          },
        },
        {
          name: "得分", type: "line", xAxisIndex: 1, yAxisIndex: 1,
          data: data.totals.map(function (t) { return t === null ? null : Number(t); }),
          symbol: "rect", symbolSize: 8, connectNulls: false,
          lineStyle: { color: TOTAL, width: 2, type: "dashed" }, itemStyle: { color: TOTAL },
          label: { show: true, position: "top", formatter: label("") },
        },
      ],
    };
  }

  const BUILDERS = { grades: grades, trend: trend };

  document.addEventListener("DOMContentLoaded", function () {
    const source = document.getElementById("assessments-chart-data");
    if (!source || typeof window.echarts === "undefined") return;
    const data = JSON.parse(source.textContent);
    if (!data) return;
    const charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      const build = BUILDERS[el.dataset.chart];
      const items = data[el.dataset.chart] || data;
      if (!build) return;
      el.textContent = "";
      const chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(build(items, el.clientWidth < 480));
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
  });
})();
