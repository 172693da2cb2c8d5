// A little progressive help; every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // The decline reason only matters for 本人婉拒: hide it for the other outcomes.
  document.querySelectorAll("form.outcome").forEach(function (form) {
    var outcome = form.querySelector("select[name=outcome]");
    var reason = form.querySelector("[data-reason]");
    if (!outcome || !reason) return;
    var sync = function () {
      var declined = outcome.value === "declined";
      reason.hidden = !declined;
      var select = reason.querySelector("select");
      if (select) select.required = declined;
    };
    outcome.addEventListener("change", sync);
    sync();
  });
  // 打印 buttons.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  // Ask before a form that changes something is sent twice.
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; }
    });
  });
});
