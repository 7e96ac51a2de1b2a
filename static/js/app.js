// Small behaviours shared by every page. No inline scripts: pages mark elements with data-* attributes.
document.addEventListener("click", function (event) {
  const el = event.target.closest("[data-confirm]");
  if (el && !window.confirm(el.dataset.confirm)) {
    event.preventDefault();
  }
});
