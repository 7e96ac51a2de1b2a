// 党建任务 pages: the count of ticked receivers in the dispatch preview (also after htmx swaps a new list in),
// 全选 / 全不选, the width of the completion bar, and one submission per tap. No inline scripts.
(function () {
  "use strict";

  function recount(preview) {
    if (!preview) return;
    const count = preview.querySelector("[data-target-count]");
    if (count) count.textContent = preview.querySelectorAll("input[name=targets]:checked").length;
  }

  document.addEventListener("change", function (event) {
    if (event.target.name === "targets") recount(event.target.closest("[data-target-preview]"));
  });

  document.addEventListener("click", function (event) {
    const all = event.target.closest("[data-targets-all]");
    const none = event.target.closest("[data-targets-none]");
    if (!all && !none) return;
    const preview = event.target.closest("[data-target-preview]");
    preview.querySelectorAll("input[name=targets]").forEach(function (box) { box.checked = Boolean(all); });
    recount(preview);
  });

  document.querySelectorAll(".progress-bar[data-width]").forEach(function (bar) {
    bar.style.width = bar.dataset.width + "%";
  });

  document.querySelectorAll("form").forEach(function (form) {
    const button = form.querySelector("[data-submit-once]");
    if (!button) return;
    form.addEventListener("submit", function () {
      // Disabled after the browser has taken the click: a second tap sends nothing.
      setTimeout(function () { button.disabled = true; button.textContent = "正在提交…"; }, 0);
    });
  });
})();
