// Training-curve charts on uPlot, shared by the run page and the compare page (and inlined into the
// exported report). A chart draws each series twice: the EMA-smoothed line, which has the legend entry,
// and the raw points faintly behind it; clicking a legend entry toggles both. Classic script: it
// defines `mmadaCharts` on the page (and on globalThis, so node tests can load it too).
(function (root) {
  "use strict";

  var PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];
  var HEIGHT = 230;
  /** Below this many points a series also shows its points (a 2-point line hides where they are). */
  var FEW_POINTS = 30;
  /** Tick spacings of the step axis: whole steps only. */
  var STEP_INCREMENTS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000, 100000];

  function color(i) {
    return PALETTE[i % PALETTE.length];
  }

  /**
   * Exponential moving average with TensorBoard's debiasing (the first values are not pulled toward
   * 0). `weight` in [0, 1): 0 returns the values unchanged. null (a NaN that was recorded) stays null
   * and does not reset the average.
   */
  function ema(values, weight) {
    if (!(weight > 0)) return values.slice();
    var last = 0;
    var n = 0;
    return values.map(function (v) {
      if (v === null || !isFinite(v)) return null;
      last = last * weight + (1 - weight) * v;
      n++;
      return last / (1 - Math.pow(weight, n));
    });
  }

  function aligned(series, weight) {
    var tables = series.map(function (s) {
      return [s.steps, ema(s.values, weight), s.values];
    });
    return root.uPlot.join(tables);
  }

  function fmt(v) {
    if (v === null || v === undefined) return "-";
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4);
  }

  /** Axis ticks: short enough for the axis width (exponents for tiny and huge values). */
  function tick(v) {
    if (v === 0) return "0";
    var a = Math.abs(v);
    if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
    return String(Number(v.toPrecision(3)));
  }

  /**
   * A chart of `series` ({ label, steps, values }) in `el`. Returns { setSmoothing(weight), destroy() }.
   */
  function curveChart(el, series, options) {
    var weight = options.smoothing || 0;
    var uSeries = [{ label: options.xLabel || "step" }];
    series.forEach(function (s, i) {
      var few = s.steps.length < FEW_POINTS;
      uSeries.push({ label: s.label, stroke: color(i), width: 1.5, spanGaps: true, points: { show: few, size: 5 }, value: function (_u, v) { return fmt(v); } });
      uSeries.push({ label: s.label + " (raw)", class: "raw-series", stroke: color(i) + "55", width: 1, spanGaps: true, points: { show: few, size: 3 }, show: weight > 0 });
    });
    var plot = new root.uPlot(
      {
        width: Math.max(280, el.clientWidth || 480),
        height: HEIGHT,
        scales: { x: { time: false } },
        axes: [{ label: options.xLabel || "step", incrs: STEP_INCREMENTS }, { size: 56, values: function (_u, vals) { return vals.map(tick); } }],
        series: uSeries,
        legend: { live: true },
        hooks: {
          // A legend click toggles the smoothed series; its raw twin follows (while smoothing is on).
          setSeries: [
            function (u, i) {
              if (i === null || i % 2 === 0) return;
              var raw = u.series[i + 1];
              var show = u.series[i].show && weight > 0;
              if (raw && raw.show !== show) u.setSeries(i + 1, { show: show });
            },
          ],
        },
      },
      aligned(series, weight),
      el,
    );
    var resize = function () {
      plot.setSize({ width: Math.max(280, el.clientWidth), height: HEIGHT });
    };
    root.addEventListener && root.addEventListener("resize", resize);
    return {
      plot: plot,
      setSmoothing: function (w) {
        weight = w;
        plot.setData(aligned(series, weight));
        for (var i = 1; i < plot.series.length; i += 2) {
          var show = plot.series[i].show && weight > 0;
          if (plot.series[i + 1].show !== show) plot.setSeries(i + 1, { show: show });
        }
      },
      destroy: function () {
        root.removeEventListener && root.removeEventListener("resize", resize);
        plot.destroy();
      },
    };
  }

  /**
   * A titled panel with a <select> of what to plot and its chart. `choices` = [{ value, label }];
   * `seriesOf(value)` gives the series. Returns { setSmoothing(weight) }.
   */
  function chartPanel(container, title, choices, seriesOf, options) {
    var panel = document.createElement("div");
    panel.className = "chart-panel";
    var head = document.createElement("div");
    head.className = "chart-head";
    var h = document.createElement("h3");
    h.textContent = title;
    head.appendChild(h);
    var select = document.createElement("select");
    select.setAttribute("aria-label", title + ": curve to show");
    choices.forEach(function (c) {
      var o = document.createElement("option");
      o.value = c.value;
      o.textContent = c.label;
      select.appendChild(o);
    });
    if (options.initial) select.value = options.initial;
    head.appendChild(select);
    panel.appendChild(head);
    var body = document.createElement("div");
    body.className = "chart";
    panel.appendChild(body);
    container.appendChild(panel);
    var weight = options.smoothing || 0;
    var chart = null;
    function draw() {
      if (chart) chart.destroy();
      body.dataset.curve = select.value;
      chart = curveChart(body, seriesOf(select.value), { smoothing: weight, xLabel: "step" });
      if (options.onSelect) options.onSelect(select.value);
    }
    select.addEventListener("change", draw);
    draw();
    return {
      panel: panel,
      setSmoothing: function (w) {
        weight = w;
        chart.setSmoothing(w);
      },
    };
  }

  /** Wires a range input (0..0.99) to every chart; returns the current weight. */
  function smoothingControl(input, output, charts) {
    function apply() {
      var w = Number(input.value);
      if (output) output.textContent = w.toFixed(2);
      charts().forEach(function (c) {
        c.setSmoothing(w);
      });
    }
    input.addEventListener("input", apply);
    if (output) output.textContent = Number(input.value).toFixed(2);
    return Number(input.value);
  }

  root.mmadaCharts = { ema: ema, color: color, curveChart: curveChart, chartPanel: chartPanel, smoothingControl: smoothingControl, fmt: fmt };
})(typeof window !== "undefined" ? window : globalThis);
