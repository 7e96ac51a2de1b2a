// A member's file: on a narrow screen the tab strip scrolls sideways, so the open tab (e.g. ?tab=training after a
// form) is scrolled into view; choosing a tab puts it in the address (?tab=…) so a reload or a shared link opens it.
(function () {
  "use strict";

  function reveal(link) {
    const strip = link.closest(".member-tabs");
    if (!strip || strip.scrollWidth <= strip.clientWidth) return;
    const box = strip.getBoundingClientRect();
    const tab = link.getBoundingClientRect();
    strip.scrollLeft += tab.left - box.left - (box.width - tab.width) / 2;
  }

  document.addEventListener("DOMContentLoaded", function () {
    const active = document.querySelector(".member-tabs .nav-link.active");
    if (active) reveal(active);
    document.querySelectorAll(".member-tabs [data-bs-toggle=tab]").forEach(function (link) {
      link.addEventListener("shown.bs.tab", function () {
        reveal(link);
        const url = new URL(window.location.href);
        url.searchParams.set("tab", link.id.replace(/^tab-/, ""));
        window.history.replaceState(null, "", url);
      });
    });
  });
})();
