// The submission form: the selected category's guidance under the select.
(function () {
  "use strict";
  var data = document.getElementById("category-help-data");
  var sel = document.getElementById("id_category");
  var out = document.getElementById("category-help");
  if (!data || !sel || !out) return;
  var help = JSON.parse(data.textContent);
  sel.addEventListener("change", function () { out.textContent = help[sel.value] || "请选择最贴近的分类。"; });
})();
