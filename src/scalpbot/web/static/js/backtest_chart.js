/* A backtest's chart with lightweight-charts: candles with entry/exit marks, the equity curve
 * against the initial capital and the drawdown, in three panes sharing one time axis.
 *
 *   var chart = SB.backtestChart(element, result.chart)   // the job result's "chart" columns
 *   chart.remove()                                        // before drawing the next one
 *
 * The columns are those of the HTML report (scalpbot.backtest.report): times are IST
 * wall-clock seconds written as UTC, so the UTC getters below read IST.
 */
(function () {
  "use strict";
  var SB = (window.SB = window.SB || {});
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function two(n) { return (n < 10 ? "0" : "") + n; }

  function tick(time, type) {
    var d = new Date(time * 1000);
    if (type === 0) { return String(d.getUTCFullYear()); }
    if (type === 1) { return MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear(); }
    if (type === 2) { return two(d.getUTCDate()) + " " + MONTHS[d.getUTCMonth()]; }
    var hm = two(d.getUTCHours()) + ":" + two(d.getUTCMinutes());
    return type === 4 ? hm + ":" + two(d.getUTCSeconds()) : hm;
  }

  function stamp(time) {
    var d = new Date(time * 1000);
    return d.getUTCFullYear() + "-" + two(d.getUTCMonth() + 1) + "-" + two(d.getUTCDate()) + " " +
      two(d.getUTCHours()) + ":" + two(d.getUTCMinutes());
  }

  SB.backtestChart = function (element, data) {
    var LWC = window.LightweightCharts;
    if (!LWC) { throw new Error("the chart library did not load"); }
    var chart = LWC.createChart(element, {
      autoSize: true,
      layout: { background: { type: "solid", color: "#ffffff" }, textColor: "#1f2933", fontSize: 12,
                panes: { separatorColor: "#d5dbe1" } },
      grid: { vertLines: { color: "#f0f3f6" }, horzLines: { color: "#f0f3f6" } },
      timeScale: { timeVisible: true, secondsVisible: false, borderColor: "#d5dbe1",
                   tickMarkFormatter: tick, minBarSpacing: 0.05 },
      localization: { timeFormatter: stamp },
      rightPriceScale: { borderColor: "#d5dbe1" },
      crosshair: { mode: 0 }
    });
    function column(values) {
      var out = new Array(values.length);
      for (var i = 0; i < values.length; i++) { out[i] = { time: data.t[i], value: values[i] }; }
      return out;
    }
    var candles = new Array(data.t.length);
    for (var i = 0; i < data.t.length; i++) {
      candles[i] = { time: data.t[i], open: data.o[i], high: data.h[i], low: data.l[i], close: data.c[i] };
    }
    var price = chart.addSeries(LWC.CandlestickSeries, {
      upColor: "#26a69a", downColor: "#ef5350", borderVisible: false,
      wickUpColor: "#26a69a", wickDownColor: "#ef5350"
    }, 0);
    price.setData(candles);
    LWC.createSeriesMarkers(price, data.markers);

    var equity = chart.addSeries(LWC.BaselineSeries, {
      baseValue: { type: "price", price: data.initial }, title: "Equity", lineWidth: 2,
      topLineColor: "#127a4a", topFillColor1: "rgba(18,122,74,0.25)", topFillColor2: "rgba(18,122,74,0.04)",
      bottomLineColor: "#c62828", bottomFillColor1: "rgba(198,40,40,0.04)", bottomFillColor2: "rgba(198,40,40,0.25)"
    }, 1);
    equity.setData(column(data.equity));

    var drawdown = chart.addSeries(LWC.AreaSeries, {
      title: "Drawdown %", lineColor: "#c62828", lineWidth: 1,
      topColor: "rgba(198,40,40,0.10)", bottomColor: "rgba(198,40,40,0.35)", invertFilledArea: true,
      priceFormat: { type: "custom", minMove: 0.01, formatter: function (v) { return v.toFixed(2) + "%"; } }
    }, 2);
    drawdown.setData(column(data.drawdown));

    var panes = chart.panes();
    panes[0].setStretchFactor(3);
    panes[1].setStretchFactor(1.5);
    panes[2].setStretchFactor(1);
    chart.timeScale().fitContent();
    return chart;
  };
})();
