// 考核方案 editor and 评分表. No inline scripts: the pages mark their elements with classes and data-* attributes.
//
// Scoring sheet: every cell is a small htmx form (hx-trigger="save"). It is saved when focus leaves the cell after
// a change (or on Enter), so moving from the points to the 扣分说明 of the same cell sends nothing yet. While points
// are typed the row shows a provisional total, computed exactly as the server does (whole hundredths, half up);
// the server's answer replaces it with the saved one.
(function () {
  "use strict";

  // "55" → 5500, "37.5" → 3750; null for anything that is not a number with at most two decimals.
  function toHundredths(text) {
    text = (text || "").trim();
    if (!/^\d+(\.\d{1,2})?$/.test(text)) return null;
    const parts = text.split(".");
    return parseInt(parts[0], 10) * 100 + parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
  }

  function show(hundredths) {
    const whole = Math.floor(hundredths / 100);
    const rest = String(hundredths % 100).padStart(2, "0");
    return whole + "." + rest;
  }

  // ---- the scoring sheet ----------------------------------------------------------------------------------------

  function cellForm(el) {
    return el && el.closest ? el.closest(".score-form, .votes-form") : null;
  }

  function isDeduction(form) {
    const max = toHundredths(form.dataset.max);
    const value = toHundredths(form.elements.score.value);
    return value !== null && max !== null && value < max;
  }

  // The row's totals from what the inputs hold now: null where any indicator is still empty.
  function provisional(tr) {
    if (tr.dataset.imported) return null;
    const cells = tr.querySelectorAll(".sheet-cell");
    if (!cells.length) return null;
    let sum = 0;
    for (const td of cells) {
      const input = td.querySelector("input[name=score]");
      const value = input ? toHundredths(input.value) : td.dataset.points === "" ? null : parseInt(td.dataset.points, 10);
      if (value === null || Number.isNaN(value)) return null;
      sum += value;
    }
    const weight = parseInt(tr.dataset.weight || "0", 10);
    if (!weight) return sum;
    if (tr.dataset.appraisal === "") return null;
    const appraisal = parseInt(tr.dataset.appraisal, 10);
    return Math.floor((sum * (100 - weight) + appraisal * weight + 50) / 100);
  }

  function preview(tr) {
    if (!tr) return;
    const cell = tr.querySelector(".sheet-total");
    const box = cell && cell.querySelector(".sheet-preview");
    if (!box) return;
    const total = provisional(tr);
    const saved = cell.dataset.saved === "" ? null : parseInt(cell.dataset.saved, 10);
    box.textContent = total !== null && total !== saved ? "输入后 " + show(total) + "（未保存）" : "";
  }

  function save(form) {
    delete form.dataset.dirty;
    if (window.htmx) window.htmx.trigger(form, "save");
  }

  document.addEventListener("input", function (event) {
    const form = cellForm(event.target);
    if (!form) return;
    form.dataset.dirty = "1";
    if (form.classList.contains("score-form") && event.target.name === "score") {
      const note = form.querySelector(".score-note");
      if (note && isDeduction(form)) note.classList.remove("d-none");
      preview(form.closest("tr"));
    }
  });

  // Leaving the cell (not moving inside it, from the points to the 扣分说明) saves what changed.
  document.addEventListener("focusout", function (event) {
    const form = cellForm(event.target);
    if (!form || !form.dataset.dirty) return;
    const next = event.relatedTarget;
    if (next && form.contains(next) && next.matches("input")) return;
    save(form);
  });

  document.addEventListener("submit", function (event) {
    const form = cellForm(event.target);
    if (!form) return;
    event.preventDefault();
    const note = form.elements.note;
    if (form.classList.contains("score-form") && note && document.activeElement !== note) {
      if (isDeduction(form) && !note.value.trim()) {
        // Enter on a deduction: the 扣分说明 comes first (saving now would only be refused).
        form.querySelector(".score-note").classList.remove("d-none");
        note.focus();
        return;
      }
    }
    save(form);
  });

  // A refusal the server could not answer as a cell (no longer allowed, record gone): say so beside the cell.
  document.addEventListener("htmx:responseError", function (event) {
    const form = cellForm(event.detail.elt);
    if (!form) return;
    let box = form.querySelector(".score-error");
    if (!box) {
      box = document.createElement("div");
      box.className = "score-error";
      box.setAttribute("role", "alert");
      form.appendChild(box);
    }
    box.textContent = event.detail.xhr.status === 403 ? "无权修改，未保存。" : "未保存：记录不存在或已无权访问，请刷新页面。";
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    const tr = event.detail.elt && event.detail.elt.closest ? event.detail.elt.closest("tr") : null;
    if (tr && tr.id && tr.id.startsWith("row-")) preview(tr);
  });

  // ---- the scheme editor: a computed indicator shows its source and that source's parameters only -----------

  function syncIndicatorForm(form) {
    const method = form.querySelector("[data-indicator-method]");
    const source = form.querySelector("[data-indicator-source]");
    const computed = method && method.value === "computed";
    form.querySelectorAll(".indicator-computed-only").forEach(function (el) {
      el.classList.toggle("d-none", !computed);
    });
    form.querySelectorAll("[data-param-of]").forEach(function (input) {
      const wrap = input.closest(".indicator-param");
      const on = computed && source && input.dataset.paramOf.split(" ").indexOf(source.value) >= 0;
      if (wrap) wrap.classList.toggle("d-none", !on);
    });
  }

  document.addEventListener("change", function (event) {
    const form = event.target.closest ? event.target.closest(".indicator-form") : null;
    if (form) syncIndicatorForm(form);
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".indicator-form").forEach(syncIndicatorForm);
  });
})();
