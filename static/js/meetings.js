// Meeting pages: the attendance list of the form (live counts, reloaded when the branch or date changes), one
// submission per tap, year selectors that apply at once, and the width of the rate bars. No inline scripts.
(function () {
  "use strict";

  document.querySelectorAll(".compliance-bar[data-width]").forEach(function (bar) {
    bar.style.width = bar.dataset.width + "%";
  });

  const form = document.querySelector("[data-meeting-form]");
  if (!form) return;

  function summarize() {
    const list = form.querySelector("[data-attendance]");
    if (!list) return;
    const counts = { "出席": 0, "请假": 0, "缺席": 0 };
    const rows = list.querySelectorAll("[data-attendance-row]");
    rows.forEach(function (row) {
      const checked = row.querySelector("input[type=radio]:checked");
      if (checked) counts[checked.value] += 1;
      row.classList.toggle("on-leave", Boolean(checked && checked.value === "请假"));
    });
    const summary = list.querySelector("[data-attendance-summary]");
    if (summary) {
      summary.textContent = "应到 " + rows.length + " 人 · 出席 " + counts["出席"] + " · 请假 " + counts["请假"] + " · 缺席 " + counts["缺席"];
    }
  }

  function reloadAttendance() {
    const branch = form.querySelector("[name=branch]");
    const day = form.querySelector("[name=held_date]");
    const branchId = branch ? branch.value : form.dataset.branch;
    if (!branchId || !day || !day.value) return;
    const keep = {};
    form.querySelectorAll("[data-attendance-row] input[type=radio]:checked").forEach(function (input) {
      keep[input.name] = input.value;
    });
    const url = form.dataset.attendeesUrl + "?branch=" + encodeURIComponent(branchId) + "&held_date=" + encodeURIComponent(day.value);
    fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.text();
    }).then(function (html) {
      const holder = document.createElement("div");
      holder.innerHTML = html;
      const fresh = holder.querySelector("[data-attendance]");
      const current = form.querySelector("[data-attendance]");
      if (!fresh || !current) return;
      current.replaceWith(fresh);
      Object.keys(keep).forEach(function (name) {
        const input = fresh.querySelector("input[name='" + name + "'][value='" + keep[name] + "']");
        if (input) input.checked = true;
      });
      summarize();
    }).catch(function () { /* keep the list shown; the server checks the members again on submit */ });
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "branch" || event.target.name === "held_date") reloadAttendance();
    else summarize();
  });
  form.addEventListener("submit", function () {
    const button = form.querySelector("[data-submit-once]");
    if (button) {
      // Disabled after the browser has taken the click: a second tap sends nothing (the server ignores it too).
      setTimeout(function () { button.disabled = true; button.textContent = "正在提交…"; }, 0);
    }
  });
  summarize();
})();
