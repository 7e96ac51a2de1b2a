// 经费汇总: the pickers reload the page when changed; the 到位率 bar charts are drawn from the JSON the page carries
// (json_script "funding-summary-data"), one per element with a matching data-chart key. The tables hold the same
// figures, so nothing is lost without JavaScript. No inline scripts.
(function () {
  "use strict";

  // Okabe–Ito: distinguishable with the common colour-vision deficiencies.
  const FULL = "#009E73"; // bluish green: everything allocated has arrived
  const PART = "#0072B2"; // blue: part of it has
  const NONE = "#D55E00"; // vermillion: nothing has
  const FONT = '"WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", sans-serif';
  const ROW = 30;

  function colour(value) {
    if (value >= 100) return FULL;
    return value > 0 ? PART : NONE;
  }

  function option(items, narrow) {
    const names = items.map(function (i) { return i.name; });
    return {
      textStyle: { fontFamily: FONT },
      grid: { left: 8, right: 64, top: 8, bottom: 24, containLabel: true },
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          return p.name + "：到位率 " + (p.data.rate === null ? "—（未下达经费）" : p.data.rate + "%");
        },
      },
      xAxis: {
        type: "value",
        min: 0,
        max: function (v) { return Math.max(100, Math.ceil(v.max / 25) * 25); },
        interval: narrow ? 50 : 25,
        axisLabel: { formatter: "{value}%", hideOverlap: true },
        splitLine: { lineStyle: { color: "#eee" } },
      },
      yAxis: {
        type: "category",
        inverse: true,
        data: names,
        axisTick: { show: false },
        axisLabel: {
          width: narrow ? 112 : 160,
          overflow: "truncate",
          formatter: function (name, index) { return items[index].rate === null ? name + "（—）" : name; },
        },
      },
      series: [{
        type: "bar",
        barMaxWidth: 20,
        data: items.map(function (i) {
          const value = i.rate === null ? null : Number(i.rate);
          return {
            name: i.name,
            value: value,
            rate: i.rate,
            itemStyle: value === null ? undefined : { color: colour(value) },
          };
        }),
        label: { show: true, position: "right", formatter: function (p) { return p.data.rate + "%"; } },
        markLine: {
          silent: true,
          symbol: "none",
          label: { show: false },
          lineStyle: { color: "#6c757d", type: "dashed" },
          data: [{ xAxis: 100 }],
        },
      }],
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    const source = document.getElementById("funding-summary-data");
    if (!source || typeof window.echarts === "undefined") return;
    const data = JSON.parse(source.textContent);
    const charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      const items = data[el.dataset.chart] || [];
      if (!items.some(function (i) { return i.rate !== null; })) {
        el.classList.add("funding-chart-empty");
        el.textContent = "暂无下达经费";
        return;
      }
      el.style.height = Math.max(140, items.length * ROW + 48) + "px";
      const chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(option(items, el.clientWidth < 480));
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
  });
})();
