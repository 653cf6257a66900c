/* The dashboard: session state and control, today's P&L with its chart, positions, orders,
 * recent trades and the event log, all kept current by the push channel (no reloads).
 *
 * The books of the session the server runs (or ran last) are loaded once over REST when the
 * page first sees that session, then every "status", "pnl", "position", "order", "fill" and
 * "log" message updates them in place.
 */
(function () {
  "use strict";

  var TERMINAL = { FILLED: true, CANCELLED: true, REJECTED: true };
  var IST_SHIFT_S = 19800;
  var LOG_LINES = 200;

  var page = {
    sessionId: undefined,
    clock: null,
    today: null,
    positions: new Map(),
    orders: new Map(),
    chart: null,
    series: null,
    lastTime: null
  };

  function $(id) { return document.getElementById(id); }

  // -- status and control -----------------------------------------------------------------------
  function showStatus(doc) {
    var session = doc.session;
    var manager = doc.manager;
    var runner = doc.state;
    var shown;
    if (session) { shown = runner; }
    else if (manager === "starting" || manager === "stopping" || manager === "failed") { shown = manager; }
    else { shown = "stopped"; }
    var badge = $("state-session");
    badge.dataset.state = shown;
    badge.textContent = shown + (doc.session_id ? " · #" + doc.session_id : "");
    if (session) {
      $("state-mode").textContent = session.mode;
      $("state-broker").textContent = session.broker;
      $("state-feed").textContent = session.feed;
      $("state-clock").textContent = SB.stampText(session.clock);
      $("state-strategies").textContent = (session.strategies || []).join(", ") || "–";
      page.clock = session.clock;
      // The P&L is pushed only when it changes; a flat book still moves along in time.
      if (session.clock && page.today !== null) { addPoint(chartTime(session.clock), page.today); }
    }
    var reason = "";
    var isError = false;
    if (doc.error) { reason = doc.error; isError = true; }
    else if (session && session.risk && session.risk.halted) { reason = "Entries halted: " + (session.risk.halt_reason || "risk limit"); isError = true; }
    else if (session && session.reason && runner !== "running") { reason = session.reason; }
    var note = $("state-reason");
    note.hidden = !reason;
    note.textContent = reason;
    note.classList.toggle("error", isError);

    var busy = manager === "starting" || manager === "stopping";
    control("start").disabled = Boolean(session) || busy;
    control("pause").disabled = runner !== "running";
    control("resume").disabled = !(runner === "paused" || runner === "halted");
    control("stop").disabled = !session || manager === "stopping";
    control("emergency-stop").disabled = !session;

    if (doc.session_id !== page.sessionId) {
      page.sessionId = doc.session_id;
      loadBooks();
    }
  }

  function control(name) { return document.querySelector('[data-control="' + name + '"]'); }

  var ACTIONS = {
    "start": { path: "/api/start", body: {}, done: "Session started" },
    "pause": { path: "/api/pause", body: { reason: "paused from the dashboard" }, done: "Paused: no new entries, exits still work" },
    "resume": { path: "/api/resume", done: "Resumed" },
    "stop": { path: "/api/stop", body: { reason: "stopped from the dashboard" }, done: "Session stopped" },
    "emergency-stop": {
      path: "/api/emergency-stop",
      body: { reason: "emergency stop from the dashboard" },
      done: "Emergency stop: orders cancelled, positions closing, entries halted",
      confirm: ["Emergency stop?", "Every working order is cancelled, every open position is closed at market and new entries are halted until you resume.", "Stop everything"]
    }
  };

  function act(name, button) {
    var action = ACTIONS[name];
    var asked = action.confirm ? SB.confirm.apply(null, action.confirm) : Promise.resolve(true);
    asked.then(function (yes) {
      if (!yes) { return; }
      button.disabled = true;
      SB.api("POST", action.path, action.body).then(function (doc) {
        showStatus(doc);
        SB.toast(action.done, "ok");
      }, function (err) {
        button.disabled = false;
        SB.fail(err);
      });
    });
  }

  // -- P&L --------------------------------------------------------------------------------------
  function showPnl(pnl) {
    var today = $("pnl-today");
    today.textContent = SB.money(pnl.today, true);
    today.className = "big " + SB.signClass(pnl.today);
    today.dataset.value = pnl.today === null ? "" : pnl.today;
    setMoney("pnl-realised", pnl.realised, true);
    setMoney("pnl-unrealised", pnl.unrealised, true);
    setMoney("pnl-charges", pnl.charges, false);
    setMoney("pnl-equity", pnl.equity, false);
    $("pnl-trades").textContent = pnl.trades === null || pnl.trades === undefined ? "–" : pnl.trades;
    if (pnl.today !== null && pnl.today !== undefined) {
      page.today = Number(pnl.today);
      if (page.clock) { addPoint(chartTime(page.clock), page.today); }
    }
  }

  function setMoney(id, value, signed) {
    var node = $(id);
    node.textContent = SB.money(value, signed);
    node.className = signed ? SB.signClass(value) : "";
  }

  /* Chart times are IST wall-clock seconds written as UTC, so the axis reads IST. */
  function chartTime(iso) { return Math.floor(Date.parse(iso) / 1000) + IST_SHIFT_S; }

  function two(n) { return (n < 10 ? "0" : "") + n; }

  function makeChart() {
    var LWC = window.LightweightCharts;
    if (!LWC || page.chart) { return; }
    page.chart = LWC.createChart($("pnl-chart"), {
      autoSize: true,
      layout: { background: { type: "solid", color: "#ffffff" }, textColor: "#1f2933", fontSize: 12 },
      grid: { vertLines: { color: "#f0f3f6" }, horzLines: { color: "#f0f3f6" } },
      timeScale: { timeVisible: true, secondsVisible: false, borderColor: "#d5dbe1" },
      localization: {
        timeFormatter: function (time) {
          var d = new Date(time * 1000);
          return two(d.getUTCHours()) + ":" + two(d.getUTCMinutes()) + ":" + two(d.getUTCSeconds());
        }
      },
      rightPriceScale: { borderColor: "#d5dbe1" },
      crosshair: { mode: 0 }
    });
    page.series = page.chart.addSeries(LWC.BaselineSeries, {
      baseValue: { type: "price", price: 0 }, lineWidth: 2, title: "Today ₹",
      topLineColor: "#127a4a", topFillColor1: "rgba(18,122,74,0.25)", topFillColor2: "rgba(18,122,74,0.04)",
      bottomLineColor: "#c62828", bottomFillColor1: "rgba(198,40,40,0.04)", bottomFillColor2: "rgba(198,40,40,0.25)"
    });
  }

  function setCurve(points) {
    makeChart();
    if (!page.series) { return; }
    page.series.setData(points);
    page.lastTime = points.length ? points[points.length - 1].time : null;
    $("pnl-chart-empty").hidden = points.length > 0;
    page.chart.timeScale().fitContent();
  }

  function addPoint(time, value) {
    if (!page.series || !isFinite(time)) { return; }
    if (page.lastTime !== null && Math.floor(time / 86400) !== Math.floor(page.lastTime / 86400)) {
      page.series.setData([]);  // a new trading day: today's P&L starts again from zero
      page.lastTime = null;
    }
    if (page.lastTime !== null && time < page.lastTime) { time = page.lastTime; }
    page.series.update({ time: time, value: value });
    page.lastTime = time;
    $("pnl-chart-empty").hidden = true;
  }

  // -- positions and orders ---------------------------------------------------------------------
  function cell(text, className) { return SB.el("td", { className: className || "" }, text); }

  function renderPositions() {
    var rows = [];
    page.positions.forEach(function (p) {
      var button = SB.el("button", { type: "button", className: "small", dataset: { close: p.instrument } }, "Close");
      rows.push(SB.el("tr", { dataset: { instrument: p.instrument } }, [
        cell(p.instrument), cell(p.product), cell(p.quantity, "num " + SB.signClass(p.quantity)),
        cell(SB.number(p.average_price), "num"), cell(SB.number(p.last_price), "num"),
        cell(SB.money(p.unrealised_pnl, true), "num " + SB.signClass(p.unrealised_pnl)),
        cell(SB.money(p.realised_pnl, true), "num " + SB.signClass(p.realised_pnl)),
        cell(SB.money(p.charges), "num"), SB.el("td", { className: "num" }, button)
      ]));
    });
    SB.fillRows($("positions"), rows, "No open positions");
  }

  function renderOrders() {
    var rows = [];
    page.orders.forEach(function (o) {
      var button = SB.el("button", { type: "button", className: "small", dataset: { cancel: o.client_order_id } }, "Cancel");
      button.disabled = o.status === "PENDING_CANCEL";
      rows.push(SB.el("tr", { dataset: { order: o.client_order_id } }, [
        cell(o.client_order_id, "mono"), cell(o.instrument), cell(o.side),
        cell(o.filled_quantity + " / " + o.quantity, "num"), cell(o.order_type),
        cell(o.price === null ? "–" : SB.number(o.price), "num"),
        cell(o.trigger_price === null ? "–" : SB.number(o.trigger_price), "num"),
        cell(o.status), cell(o.role || "–"), SB.el("td", { className: "num" }, button)
      ]));
    });
    SB.fillRows($("orders"), rows, "No open orders");
  }

  function onPosition(p) {
    if (Number(p.quantity) === 0) { page.positions.delete(p.instrument); }
    else { page.positions.set(p.instrument, p); }
    renderPositions();
  }

  function onOrder(o) {
    if (TERMINAL[o.status]) { page.orders.delete(o.client_order_id); }
    else { page.orders.set(o.client_order_id, o); }
    renderOrders();
  }

  function closePosition(instrument, button) {
    button.disabled = true;
    SB.api("POST", "/api/positions/" + encodeURIComponent(instrument) + "/close").then(function (answer) {
      SB.toast("Closing " + instrument + ": order " + answer.order.client_order_id + " sent", "ok");
    }, function (err) { button.disabled = false; SB.fail(err); });
  }

  function cancelOrder(id, button) {
    button.disabled = true;
    SB.api("POST", "/api/orders/" + encodeURIComponent(id) + "/cancel").then(function (order) {
      onOrder(order);
      SB.toast("Cancel of " + id + " requested", "ok");
    }, function (err) { button.disabled = false; SB.fail(err); });
  }

  // -- the books of a session, loaded once ------------------------------------------------------
  function loadBooks() {
    page.today = null;  // the new session's figures arrive below and by push
    Promise.all([
      SB.api("GET", "/api/positions"), SB.api("GET", "/api/orders"),
      SB.api("GET", "/api/pnl"), SB.api("GET", "/api/pnl/intraday")
    ]).then(function (answers) {
      page.positions.clear();
      answers[0].positions.forEach(function (p) { page.positions.set(p.instrument, p); });
      page.orders.clear();
      answers[1].orders.forEach(function (o) { page.orders.set(o.client_order_id, o); });
      renderPositions();
      renderOrders();
      setCurve(answers[3].points);
      if (answers[2].session_id !== null) { showPnl(answers[2]); }
    }, SB.fail);
    SB.refresh("trades");
  }

  // -- the event log ------------------------------------------------------------------------------
  function logLine(event) {
    return SB.el("li", { dataset: { kind: event.kind } }, [
      SB.el("time", { dateTime: event.time || event.logged_at }, SB.clockText(event.time || event.logged_at)),
      SB.el("span", { className: "kind", title: event.kind }, event.kind),
      SB.el("span", { className: "message" }, event.message)
    ]);
  }

  function loadLog() {
    SB.api("GET", "/api/logs?limit=60").then(function (answer) {
      var log = $("log");
      log.replaceChildren();
      answer.events.forEach(function (event) { log.appendChild(logLine(event)); });
      if (!answer.events.length) { log.appendChild(SB.el("li", { className: "empty" }, "Nothing logged yet")); }
    }, SB.fail);
  }

  function onLog(event) {
    var log = $("log");
    var empty = log.querySelector("li.empty");
    if (empty) { empty.remove(); }
    log.insertBefore(logLine(event), log.firstChild);
    while (log.children.length > LOG_LINES) { log.lastChild.remove(); }
  }

  // -- wiring ---------------------------------------------------------------------------------------
  document.addEventListener("DOMContentLoaded", function () {
    makeChart();
    var refreshTrades = SB.throttle(function () { SB.refresh("trades"); }, 1000);
    document.querySelectorAll("[data-control]").forEach(function (button) {
      button.addEventListener("click", function () { act(button.dataset.control, button); });
    });
    $("positions").addEventListener("click", function (event) {
      var button = event.target.closest("button[data-close]");
      if (button) { closePosition(button.dataset.close, button); }
    });
    $("orders").addEventListener("click", function (event) {
      var button = event.target.closest("button[data-cancel]");
      if (button) { cancelOrder(button.dataset.cancel, button); }
    });
    SB.push.connect({
      open: function () {
        page.sessionId = undefined;  // the first status reloads the books
        loadLog();
      },
      status: showStatus,
      pnl: showPnl,
      position: onPosition,
      order: onOrder,
      fill: refreshTrades,
      log: onLog
    }, $("push-state"));
  });
})();
