/* The Strategies page: the list (an htmx partial), the create/edit form built from the
 * templates' parameter schemas, deploying to paper or live, and backtests: submit, poll the
 * job, then draw candles with entry/exit marks, equity, drawdown, metrics and trades.
 */
(function () {
  "use strict";

  var CUSTOM = "__custom__";
  var POLL_MS = 400;
  var TRADES_SHOWN = 500;
  var METRICS = [
    ["net_pnl", "Net P&L", "money"], ["return_pct", "Return %", "pct"], ["cagr", "CAGR %", "pct"],
    ["sharpe", "Sharpe", "ratio"], ["sortino", "Sortino", "ratio"], ["max_drawdown_pct", "Max drawdown %", "pct"],
    ["win_rate", "Win rate %", "pct"], ["profit_factor", "Profit factor", "ratio"],
    ["expectancy", "Expectancy", "money"], ["trades", "Trades", "count"],
    ["exposure_pct", "Exposure %", "pct"], ["charges", "Charges", "cost"]
  ];

  var templates = {};
  var chart = null;

  function $(id) { return document.getElementById(id); }
  function form() { return $("strategy-form"); }

  // -- the form ---------------------------------------------------------------------------------
  function schemaOf(choice) { return choice === CUSTOM ? null : (templates[choice] || {}).params; }

  function chooseTemplate(choice, values) {
    var f = form();
    f.elements.template.value = choice;
    $("class-spec-field").hidden = choice !== CUSTOM;
    $("template-description").textContent = choice === CUSTOM
      ? "A Strategy subclass in a Python file on the server."
      : (templates[choice] || {}).description || "";
    SB.paramForm.render($("param-fields"), schemaOf(choice), values);
  }

  function loadTemplates() {
    return SB.api("GET", "/api/strategies/templates").then(function (answer) {
      var select = $("strategy-template");
      answer.templates.forEach(function (t) {
        templates[t.name] = t;
        select.appendChild(SB.el("option", { value: t.name }, t.name));
      });
      select.appendChild(SB.el("option", { value: CUSTOM }, "Your own class (file.py:Class)"));
      chooseTemplate(answer.templates.length ? answer.templates[0].name : CUSTOM, {});
    });
  }

  function resetForm() {
    var f = form();
    f.reset();
    f.elements.id.value = "";
    SB.clearErrors(f);
    $("strategy-form-title").textContent = "New strategy";
    $("strategy-submit").textContent = "Create strategy";
    $("strategy-cancel").hidden = true;
    var first = Object.keys(templates)[0];
    chooseTemplate(first || CUSTOM, {});
  }

  function edit(id) {
    SB.api("GET", "/api/strategies/" + id).then(function (s) {
      var f = form();
      SB.clearErrors(f);
      f.elements.id.value = s.id;
      f.elements.name.value = s.name;
      var builtin = Object.prototype.hasOwnProperty.call(templates, s.class_spec);
      f.elements.class_spec.value = builtin ? "" : s.class_spec;
      chooseTemplate(builtin ? s.class_spec : CUSTOM, s.params);
      f.elements.symbols.value = s.symbols.join(", ");
      f.elements.timeframe.value = s.timeframe;
      $("strategy-form-title").textContent = "Edit strategy “" + s.name + "”";
      $("strategy-submit").textContent = "Save changes";
      $("strategy-cancel").hidden = false;
      f.scrollIntoView({ behavior: "smooth", block: "start" });
    }, SB.fail);
  }

  function showApiErrors(f, err) {
    var shown = false;
    if (err.body && Array.isArray(err.body.detail)) {
      err.body.detail.forEach(function (d) {
        var loc = (d.loc || []).filter(function (part) { return part !== "body"; });
        var name = loc[0] === "params" && loc.length > 1 ? "params." + loc[1] : String(loc[0] || "");
        shown = SB.fieldError(f, name, d.msg) || SB.fieldError(f, String(loc[0]), d.msg) || shown;
      });
    } else if (err.status === 409 && /named/.test(err.message)) {
      shown = SB.fieldError(f, "name", err.message);
    }
    if (!shown) { SB.fail(err); }
  }

  function submit(event) {
    event.preventDefault();
    var f = form();
    SB.clearErrors(f);
    var choice = f.elements.template.value;
    var schema = schemaOf(choice);
    var read = SB.paramForm.read($("param-fields"), schema);
    var ok = true;
    Object.keys(read.errors).forEach(function (name) {
      ok = false;
      SB.fieldError(f, name === "params" ? "params" : "params." + name, read.errors[name]);
    });
    var name = f.elements.name.value.trim();
    if (!name) { ok = false; SB.fieldError(f, "name", "give the strategy a name"); }
    var classSpec = choice === CUSTOM ? f.elements.class_spec.value.trim() : choice;
    if (!classSpec) { ok = false; SB.fieldError(f, "class_spec", "give path/to/file.py:ClassName"); }
    if (!ok) { return; }
    var body = {
      name: name,
      class_spec: classSpec,
      params: read.params,
      symbols: f.elements.symbols.value.split(/[\s,]+/).filter(Boolean).map(function (s) { return s.toUpperCase(); }),
      timeframe: f.elements.timeframe.value
    };
    var id = f.elements.id.value;
    var request = id ? SB.api("PUT", "/api/strategies/" + id, body) : SB.api("POST", "/api/strategies", body);
    request.then(function (saved) {
      SB.toast((id ? "Saved " : "Created ") + "strategy “" + saved.name + "”", "ok");
      resetForm();
      SB.refresh("strategies");
    }, function (err) { showApiErrors(f, err); });
  }

  // -- list actions -------------------------------------------------------------------------------
  function deploy(id, name, live) {
    var asked = live
      ? SB.confirm("Deploy “" + name + "” live?", "Live trading sends real orders with real money through your broker account.", "Deploy live")
      : Promise.resolve(true);
    asked.then(function (yes) {
      if (!yes) { return; }
      var body = live ? { mode: "live", confirm: true } : { mode: "paper" };
      SB.api("POST", "/api/strategies/" + id + "/deploy", body).then(function (status) {
        SB.toast("“" + name + "” is running on paper (session #" + status.session_id + "); follow it on the Dashboard", "ok");
        SB.refresh("strategies");
      }, SB.fail);
    });
  }

  function remove(id, name) {
    SB.confirm("Delete “" + name + "”?", "The strategy and its parameters are removed; past sessions and backtests stay.", "Delete").then(function (yes) {
      if (!yes) { return; }
      SB.api("DELETE", "/api/strategies/" + id).then(function () {
        SB.toast("Deleted “" + name + "”", "ok");
        if (form().elements.id.value === String(id)) { resetForm(); }
        SB.refresh("strategies");
      }, SB.fail);
    });
  }

  function onListClick(event) {
    var button = event.target.closest("button[data-action]");
    if (!button) { return; }
    var row = button.closest("tr[data-strategy-id]");
    var id = row.dataset.strategyId;
    var name = row.dataset.strategyName;
    var action = button.dataset.action;
    if (action === "edit") { edit(id); }
    else if (action === "delete") { remove(id, name); }
    else if (action === "deploy-paper") { deploy(id, name, false); }
    else if (action === "deploy-live") { deploy(id, name, true); }
    else if (action === "backtest") { openBacktest(id, name); }
  }

  // -- backtests ------------------------------------------------------------------------------------
  function openBacktest(id, name) {
    var panel = $("backtest-panel");
    var f = $("backtest-form");
    f.elements.strategy_id.value = id;
    $("backtest-strategy-name").textContent = name;
    $("backtest-result").hidden = true;
    $("backtest-progress").hidden = true;
    SB.clearErrors(f);
    panel.hidden = false;
    panel.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  function runBacktest(event) {
    event.preventDefault();
    var f = $("backtest-form");
    SB.clearErrors(f);
    var data = f.elements.data.value || f.elements.file.value.trim();
    if (!data) { SB.fieldError(f, "backtest", "choose a sample or give a file"); return; }
    var body = {
      data: data,
      quantity: Number(f.elements.quantity.value),
      cash: f.elements.cash.value.trim(),
      charges: f.elements.charges.value,
      product: f.elements.product.value
    };
    var symbol = f.elements.symbol.value.trim();
    if (symbol) { body.symbol = symbol; }
    var button = $("backtest-run");
    button.disabled = true;
    $("backtest-result").hidden = true;
    progress(0, "queued");
    SB.api("POST", "/api/strategies/" + f.elements.strategy_id.value + "/backtest", body).then(function (job) {
      poll(job.job_id, button);
    }, function (err) {
      button.disabled = false;
      $("backtest-progress").hidden = true;
      SB.fieldError(f, "backtest", err.message);
    });
  }

  function progress(value, text) {
    $("backtest-progress").hidden = false;
    $("backtest-progress").querySelector("progress").value = value;
    $("backtest-progress-text").textContent = text;
  }

  function poll(jobId, button) {
    SB.api("GET", "/api/jobs/" + jobId).then(function (job) {
      if (job.status === "done") {
        progress(1, "done");
        button.disabled = false;
        showResult(job.result);
        SB.refresh("backtests");
      } else if (job.status === "failed") {
        button.disabled = false;
        $("backtest-progress").hidden = true;
        SB.fieldError($("backtest-form"), "backtest", "The backtest failed: " + job.error);
      } else {
        progress(job.progress, job.status + " " + Math.round(job.progress * 100) + "%");
        window.setTimeout(function () { poll(jobId, button); }, POLL_MS);
      }
    }, function (err) { button.disabled = false; SB.fail(err); });
  }

  function metricText(value, kind) {
    if (value === null || value === undefined) { return "–"; }
    if (kind === "money") { return SB.money(value, true); }
    if (kind === "cost") { return SB.money(value, false); }
    if (kind === "count") { return String(value); }
    return SB.number(value, 2);
  }

  function showResult(result) {
    var metrics = $("backtest-metrics");
    metrics.replaceChildren();
    METRICS.forEach(function (m) {
      var value = result.metrics[m[0]];
      var dd = SB.el("dd", { className: m[2] === "money" ? SB.signClass(value) : "" }, metricText(value, m[2]));
      metrics.appendChild(SB.el("div", { dataset: { metric: m[0] } }, [SB.el("dt", null, m[1]), dd]));
    });
    $("backtest-result").hidden = false;
    var element = $("backtest-chart");
    if (chart) { chart.remove(); chart = null; }
    element.replaceChildren();
    if (!result.chart.t.length) {
      element.dataset.state = "empty";
      element.appendChild(SB.el("div", { className: "chart-empty" }, "No bars to chart."));
    } else {
      try {
        chart = SB.backtestChart(element, result.chart);
        element.dataset.state = "drawn";
        element.dataset.markers = String(result.chart.markers.length);
      } catch (err) {
        element.dataset.state = "error";
        element.appendChild(SB.el("div", { className: "chart-empty" }, "The chart could not be drawn: " + err.message));
      }
    }
    var rows = result.trades.slice(0, TRADES_SHOWN).map(function (t, i) {
      return SB.el("tr", null, [
        SB.el("td", null, i + 1), SB.el("td", null, t.side === "BUY" ? "Long" : "Short"),
        SB.el("td", { className: "num" }, t.quantity),
        SB.el("td", { className: "mono" }, SB.stampText(t.entry_time)), SB.el("td", { className: "num" }, t.entry_price),
        SB.el("td", { className: "mono" }, SB.stampText(t.exit_time)), SB.el("td", { className: "num" }, t.exit_price),
        SB.el("td", { className: "num" }, t.pnl), SB.el("td", { className: "num" }, t.charges),
        SB.el("td", { className: "num " + SB.signClass(t.net_pnl) }, t.net_pnl)
      ]);
    });
    SB.fillRows($("backtest-trades"), rows, "No trades");
    $("backtest-trades-note").textContent = result.trades.length > TRADES_SHOWN
      ? "(the first " + TRADES_SHOWN + " of " + result.trades.length + ")" : "(" + result.trades.length + ")";
    $("backtest-result").scrollIntoView({ behavior: "smooth", block: "start" });
  }

  document.addEventListener("DOMContentLoaded", function () {
    loadTemplates().catch(SB.fail);
    $("strategy-template").addEventListener("change", function (event) { chooseTemplate(event.target.value, {}); });
    form().addEventListener("submit", submit);
    $("strategy-cancel").addEventListener("click", resetForm);
    $("strategy-list").addEventListener("click", onListClick);
    $("backtest-form").addEventListener("submit", runBacktest);
    $("backtest-form").elements.data.addEventListener("change", function (event) {
      $("backtest-file-field").hidden = event.target.value !== "";
    });
    $("backtest-close").addEventListener("click", function () { $("backtest-panel").hidden = true; });
  });
})();
