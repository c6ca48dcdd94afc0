// Behaviour shared by every page, loaded with `defer` from base.html. Pages have no inline scripts and no
// on*= attributes (the Content-Security-Policy forbids them); they declare behaviour with data attributes:
//   data-qq-style-inputs="SELECTOR" [data-qq-skip="hidden,file"] [data-qq-extra="form-control-sm"]
//       on a hidden marker: give the matching inputs Bootstrap's form-control / form-select classes;
//   data-qq-confirm="问题"      on a button or form: ask before submitting;
//   data-qq-check-all="SELECTOR" on a checkbox: (un)check every matching checkbox;
//   data-qq-remove-on-success   on an HTMX element: remove it once its request succeeded.
(function () {
  "use strict";

  function words(value, separator) {
    return (value || "").split(separator).map(function (w) { return w.trim(); }).filter(Boolean);
  }

  function styleInputs() {
    document.querySelectorAll("[data-qq-style-inputs]").forEach(function (marker) {
      var skip = words(marker.getAttribute("data-qq-skip"), ",");
      var extra = words(marker.getAttribute("data-qq-extra"), " ");
      document.querySelectorAll(marker.getAttribute("data-qq-style-inputs")).forEach(function (el) {
        if (skip.indexOf(el.type) !== -1) return;
        el.classList.add(el.tagName === "SELECT" ? "form-select" : "form-control");
        extra.forEach(function (c) { el.classList.add(c); });
      });
    });
  }

  document.addEventListener("click", function (event) {
    var el = event.target.closest ? event.target.closest("[data-qq-confirm]") : null;
    if (el && el.tagName !== "FORM" && !window.confirm(el.getAttribute("data-qq-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute && form.hasAttribute("data-qq-confirm") &&
        !window.confirm(form.getAttribute("data-qq-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.hasAttribute && box.hasAttribute("data-qq-check-all")) {
      document.querySelectorAll(box.getAttribute("data-qq-check-all")).forEach(function (c) {
        c.checked = box.checked;
      });
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var el = event.detail && event.detail.elt;
    if (el && el.hasAttribute && el.hasAttribute("data-qq-remove-on-success") && event.detail.successful) {
      el.remove();
    }
  });

  styleInputs();
  document.addEventListener("htmx:afterSettle", styleInputs);
})();
