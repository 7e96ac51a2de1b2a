// Member pages: the organization tree on the left narrows this page to a subtree (?org=<id>) instead of opening the
// organization's own page. The tree's links (also those htmx loads later: children, search results) are rewritten,
// so a normal click, a middle click and "copy link" all lead to the member page. Without JS they still work.
(function () {
  "use strict";

  function retarget(root) {
    const page = document.querySelector("[data-member-tree-target]");
    if (!page) return;
    const target = page.dataset.memberTreeTarget;
    const prefix = page.dataset.orgDetailPrefix;
    root.querySelectorAll(".org-tree a[href], .org-search-results a[href]").forEach(function (link) {
      const href = link.getAttribute("href");
      if (!href.startsWith(prefix)) return;
      const match = href.slice(prefix.length).match(/^(\d+)\/$/);
      if (!match) return;
      link.setAttribute("href", target + "?org=" + match[1]);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    retarget(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    retarget(event.detail.target || document);
  });
})();
