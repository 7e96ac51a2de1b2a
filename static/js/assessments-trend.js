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

  function trend(data, narrow) {
    const maxSize = Math.max.apply(null, data.sizes.filter(function (s) { return s; }).concat([1]));
    return {
      textStyle: { fontFamily: FONT },
      legend: { top: 0, data: ["排名", "得分"] },
      grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
      tooltip: {
        trigger: "axis",
        formatter: function (ps) {
          const i = ps[0].dataIndex;
          const rank = data.ranks[i] === null ? "未排名" : "第 " + data.ranks[i] + " / " + data.sizes[i] + " 名";
          const total = data.totals[i] === null ? "—" : data.totals[i] + " 分";
          return data.years[i] + "年<br>" + rank + "<br>" + total + (data.grades[i] ? "<br>等次：" + data.grades[i] : "");
        },
      },
      xAxis: { type: "category", data: data.years, boundaryGap: true, axisTick: { alignWithLabel: true } },
      yAxis: [
        {
          type: "value", name: narrow ? "" : "名次", inverse: true, min: 1, max: maxSize, minInterval: 1,
          splitLine: { lineStyle: { color: "#eee" } },
        },
        { type: "value", name: narrow ? "" : "得分", min: 0, max: 100, splitLine: { show: false } },
      ],
      series: [
        {
          name: "排名", type: "line", yAxisIndex: 0, data: data.ranks, symbol: "circle", symbolSize: 9,
          connectNulls: false, lineStyle: { color: RANK, width: 2 }, itemStyle: { color: RANK },
          label: { show: true, position: "top", formatter: function (p) { return p.value === null ? "" : "第" + p.value; } },
        },
        {
          name: "得分", type: "line", yAxisIndex: 1, data: data.totals.map(function (t) { return t === null ? null : Number(t); }),
          symbol: "rect", symbolSize: 8, connectNulls: false,
          lineStyle: { color: TOTAL, width: 2, type: "dashed" }, itemStyle: { color: TOTAL },
          label: { show: !narrow, position: "bottom", formatter: function (p) { return p.value === null ? "" : p.value; } },
        },
      ],
    };
  }

  const BUILDERS = { grades: grades, trend: trend };

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { el.form.submit(); });
    });
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
