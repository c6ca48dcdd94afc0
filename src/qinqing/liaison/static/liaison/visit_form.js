// The visit form: reveal one more problem row per click.
(function () {
  "use strict";
  var button = document.getElementById('add-problem');
  if (!button) return;
  button.addEventListener('click', function () {
    const next = document.querySelector('fieldset.problem-row[hidden]');
    if (next) { next.hidden = false; next.querySelector('input').focus(); }
    if (!document.querySelector('fieldset.problem-row[hidden]')) this.disabled = true;
  });
})();
