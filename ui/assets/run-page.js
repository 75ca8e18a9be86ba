// The run page's client: one chart panel per training step (a select picks the curve family, the
// legend toggles its per-task series), a shared smoothing control, and, while the run is going, a poll
// of /api/runs/<id>/live that moves the DAG, the steps table and the curves without a reload.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("page-data").textContent);
  var charts = [];
  var chosen = {}; // step id -> family shown, kept across redraws
  var smoothingInput = document.getElementById("smoothing");
  mmadaCharts.smoothingControl(smoothingInput, document.getElementById("smoothing-value"), function () {
    return charts;
  });

  function drawCurves(curves) {
    var container = document.getElementById("curve-panels");
    if (!container) return;
    container.innerHTML = "";
    charts = [];
    if (curves.length === 0) {
      container.innerHTML = '<p class="muted">No curves recorded yet.</p>';
      return;
    }
    curves.forEach(function (step) {
      var families = {};
      step.families.forEach(function (f) {
        families[f.name] = f;
      });
      var choices = step.families.map(function (f) {
        return { value: f.name, label: f.name + (f.series.length > 1 ? " (" + f.series.length + " series)" : "") };
      });
      var panel = mmadaCharts.chartPanel(
        container,
        step.stepId + " · " + step.kind,
        choices,
        function (name) {
          return families[name].series.map(function (s) {
            return { label: s.key, steps: s.steps, values: s.values };
          });
        },
        {
          initial: chosen[step.stepId] || choices[0].value,
          smoothing: Number(smoothingInput.value),
          onSelect: function (name) {
            chosen[step.stepId] = name;
          },
        },
      );
      panel.panel.dataset.step = step.stepId;
      charts.push(panel);
    });
  }

  drawCurves(data.curves);

  // the search: the watched metric of every branch in one panel
  var sweepBox = document.getElementById("sweep-chart");
  if (sweepBox && data.sweep && data.sweep.series.some(function (s) { return s.steps.length > 0; })) {
    charts.push(
      mmadaCharts.chartPanel(sweepBox, "search · " + data.sweep.metric + " by branch", [{ value: data.sweep.metric, label: data.sweep.metric }], function () {
        return data.sweep.series;
      }, { initial: data.sweep.metric, smoothing: 0 }),
    );
  }

  // ---- live updates ------------------------------------------------------------------------------
  if (!data.live || data.live.status !== "running") return;
  var POLL_MS = 2000;
  var metricPoints = data.live.metricPoints;

  function ago(iso) {
    if (!iso) return "";
    var s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    return s < 120 ? s + " s ago" : Math.round(s / 60) + " min ago";
  }

  function percentOf(step) {
    if (step.state === "succeeded" || step.state === "cached") return 100;
    var p = step.progress && typeof step.progress.percent === "number" ? step.progress.percent : 0;
    return Math.max(0, Math.min(100, p));
  }

  function updateStep(step) {
    var percent = percentOf(step);
    document.querySelectorAll("#dag g.node, #steps-table tbody tr").forEach(function (el) {
      if (el.dataset.step !== step.id) return;
      el.dataset.state = step.state;
      if (el.matches("g.node")) {
        el.setAttribute("class", "node state-" + step.state);
        el.querySelector("text.state").textContent = step.state;
        el.querySelector("title").textContent = step.id + ": " + step.state; // the link's name and tooltip
        var bar = el.querySelector("rect.bar");
        bar.setAttribute("width", String((Number(bar.dataset.barWidth) * percent) / 100));
      } else if (el.matches("tr")) {
        var badge = el.querySelector(".state-cell .badge");
        badge.className = "badge state-" + step.state;
        badge.textContent = step.state;
        el.querySelector(".attempt").textContent = String(step.attempt);
        el.querySelector(".progress-bar").style.width = percent.toFixed(1) + "%";
        var text = "";
        if (step.state === "running") {
          text = (step.progress && step.progress.message) || percent.toFixed(0) + "%";
          if (step.lastHeartbeatAt) text += " · heartbeat " + ago(step.lastHeartbeatAt);
        }
        el.querySelector(".progress-text").textContent = text;
      }
    });
  }

  function poll() {
    fetch(data.live.url, { headers: { accept: "application/json" } })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(function (live) {
        if (!live) return;
        live.steps.forEach(updateStep);
        var status = document.getElementById("run-status");
        if (status) {
          status.className = "badge state-" + live.status;
          status.textContent = live.status;
        }
        if (live.status !== "running") {
          // Finished: the stage table, samples and final metrics are server-rendered; load them once.
          location.reload();
          return;
        }
        if (live.metricPoints !== metricPoints) {
          metricPoints = live.metricPoints;
          return fetch(data.live.curvesUrl)
            .then(function (r) {
              return r.json();
            })
            .then(drawCurves);
        }
      })
      .catch(function () {
        /* the server went away for a moment: try again at the next tick */
      })
      .then(function () {
        setTimeout(poll, POLL_MS);
      });
  }
  setTimeout(poll, POLL_MS);
})();
