// Organization tree: expand and collapse nodes. A node's children are fetched by htmx (hx-trigger="click once")
// the first time it is expanded; afterwards the same button only shows or hides the loaded list.
(function () {
  "use strict";

  function setOpen(toggle, open) {
    const item = toggle.closest("li");
    const list = item ? item.querySelector(":scope > ul") : null;
    toggle.setAttribute("aria-expanded", String(open));
    toggle.setAttribute("aria-label", open ? "收起" : "展开");
    if (item) item.setAttribute("aria-expanded", String(open));
    if (list) list.hidden = !open;
  }

  document.addEventListener("click", function (event) {
    const toggle = event.target.closest("[data-tree-toggle]");
    if (!toggle) return;
    setOpen(toggle, toggle.getAttribute("aria-expanded") !== "true");
  });

  // A failed load (network error, or the node left the user's scope) leaves a message instead of "加载中…".
  document.addEventListener("htmx:responseError", function (event) {
    const target = event.detail.target;
    if (target && target.matches("ul[id^='tree-children-']")) {
      target.innerHTML = '<li class="tree-empty text-danger small px-1">加载失败，请刷新页面重试</li>';
    }
  });
  document.addEventListener("htmx:sendError", function (event) {
    const target = event.detail.target;
    if (target && target.matches("ul[id^='tree-children-']")) {
      target.innerHTML = '<li class="tree-empty text-danger small px-1">网络错误，请稍后重试</li>';
    }
  });

  // Keep the selected node in view inside the scrolling panel.
  document.addEventListener("DOMContentLoaded", function () {
    const selected = document.querySelector(".tree-panel .tree-node.selected");
    const panel = document.querySelector(".tree-panel");
    if (selected && panel && panel.scrollHeight > panel.clientHeight) {
      panel.scrollTop = Math.max(0, selected.offsetTop - panel.clientHeight / 3);
    }
  });
})();
