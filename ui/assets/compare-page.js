// The compare page's client: one chart panel per training step; its select picks a curve (loss,
// loss.t2i, lr, ...) and every run is one series, so curves of the runs overlay; shared smoothing.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("page-data").textContent);
  var container = document.getElementById("curve-panels");
  if (!container) return;
  var charts = [];
  var smoothingInput = document.getElementById("smoothing");
  mmadaCharts.smoothingControl(smoothingInput, document.getElementById("smoothing-value"), function () {
    return charts;
  });
  if (data.steps.length === 0) {
    container.innerHTML = '<p class="muted">None of these runs recorded curves.</p>';
    return;
  }
  data.steps.forEach(function (step) {
    var byKey = {};
    step.curves.forEach(function (c) {
      byKey[c.key] = c;
    });
    var choices = step.curves.map(function (c) {
      return { value: c.key, label: c.key + " (" + c.runs.length + " run" + (c.runs.length > 1 ? "s" : "") + ")" };
    });
    var panel = mmadaCharts.chartPanel(
      container,
      step.stepId,
      choices,
      function (key) {
        return byKey[key].runs.map(function (r) {
          return { label: r.runId, steps: r.steps, values: r.values };
        });
      },
      { initial: choices[0].value, smoothing: Number(smoothingInput.value) },
    );
    panel.panel.dataset.step = step.stepId;
    charts.push(panel);
  });
})();
