// Small behaviours shared by every page. No inline scripts: pages mark elements with data-* attributes.
document.addEventListener("click", function (event) {
  const el = event.target.closest("[data-confirm]");
  if (el && !window.confirm(el.dataset.confirm)) {
    event.preventDefault();
  }
});

// A select marked data-autosubmit submits its form on change (the pickers of years, organizations, quarters).
document.addEventListener("change", function (event) {
  const el = event.target.closest("[data-autosubmit]");
  if (el && el.form) {
    el.form.submit();
  }
});

// A button marked data-print opens the browser's print dialog (the print views).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
