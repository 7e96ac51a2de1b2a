// Report and bulletin pages: the 打印 button prints the page (the print stylesheet keeps only the bulletin).
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
