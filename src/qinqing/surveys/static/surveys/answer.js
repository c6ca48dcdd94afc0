// Show or hide questions whose condition refers to an earlier answer on this page or an earlier page.
// The server applies the same conditions when it saves the page; this only spares a round trip.
(function () {
  "use strict";
  function earlier() {
    var el = document.getElementById("qs-answers");
    try { return el ? JSON.parse(el.textContent) : {}; } catch (e) { return {}; }
  }
  function current(form, qid, saved) {
    var inputs = form.querySelectorAll('[name="' + qid + '"]');
    if (!inputs.length) { return saved[qid]; }
    var values = [];
    inputs.forEach(function (i) {
      if ((i.type === "radio" || i.type === "checkbox")) { if (i.checked) { values.push(i.value); } }
      else if (i.value !== "") { values.push(i.value); }
    });
    return values;
  }
  function holds(spec, form, saved) {
    var parts = spec.split("|"), qid = parts[0], op = parts[1], raw = parts.slice(2).join("|");
    var given = current(form, qid, saved);
    var list = Array.isArray(given) ? given.map(String) : (given === undefined || given === null || given === "" ? [] : [String(given)]);
    if (op === "answered") { return list.length > 0; }
    if (!list.length) { return false; }
    var wanted = raw.replace(/[\[\]'" ]/g, "").split(",");
    if (op === "gte") { return parseFloat(list[0]) >= parseFloat(wanted[0]); }
    if (op === "lte") { return parseFloat(list[0]) <= parseFloat(wanted[0]); }
    var hit = list.some(function (v) { return wanted.indexOf(v) >= 0; });
    return (op === "eq" || op === "in") ? hit : !hit;
  }
  function refresh(form, saved) {
    form.querySelectorAll("[data-condition]").forEach(function (fs) {
      fs.classList.toggle("qs-hidden", !holds(fs.getAttribute("data-condition"), form, saved));
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector('[data-testid="answer-form"]');
    if (!form) { return; }
    var saved = earlier();
    refresh(form, saved);
    form.addEventListener("change", function () { refresh(form, saved); });
    var bar = document.querySelector("[data-progress]");
    if (bar) {
      var p = bar.getAttribute("data-progress").split("/");
      bar.style.width = Math.round(100 * parseInt(p[0], 10) / parseInt(p[1], 10)) + "%";
    }
  });
})();
