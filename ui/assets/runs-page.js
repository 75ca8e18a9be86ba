// The runs page's client: the "compare selected" button is enabled once a run is ticked, and the
// filters apply as soon as one changes.
(function () {
  "use strict";
  var form = document.getElementById("compare-form");
  var button = document.getElementById("compare-selected");
  function sync() {
    var n = form.querySelectorAll("input[name=run]:checked").length;
    button.disabled = n === 0;
    button.textContent = n > 1 ? "compare " + n + " runs" : n === 1 ? "compare 1 run" : "compare selected";
  }
  form.addEventListener("change", sync);
  sync();
  document.querySelectorAll("#filters select").forEach(function (s) {
    s.addEventListener("change", function () {
      document.getElementById("filters").submit();
    });
  });
})();
