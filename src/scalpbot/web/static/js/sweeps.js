/* The Strategies page's parameter sweeps (`scalpbot optimize … --save`): the list is an htmx
 * partial; the sweep chosen (its "Show" button, or a #sweep=ID link) is fetched from
 * /api/optimizations/{id} and shown as its results table (best first, sortable by any column)
 * and, when exactly two parameters vary, a heat map of the objective.
 *
 * The heat map is an HTML table, as in the HTML report of `scalpbot optimize`: rows are the
 * first parameter, columns the second, each cell coloured on a diverging scale around the
 * objective's neutral value (0; 1 for profit_factor): red below, green above, deeper the
 * further from it. No chart library.
 */
(function () {
  "use strict";

  var LOSS = [198, 40, 40];
  var NEUTRAL = [247, 247, 247];
  var WIN = [18, 122, 74];
  var DARK_FROM = 0.55; // share of the scale past which a cell's text turns white
  var HASH = /^#sweep=([A-Za-z0-9_-]{1,64})$/;

  var shown = null;   // the sweep document on screen
  var order = { key: "place", dir: 1 };

  function $(id) { return document.getElementById(id); }

  // -- formatting ---------------------------------------------------------------------------------
  function valueText(value, objective) {
    if (value === null || value === undefined) { return "–"; }
    return SB.number(value, objective === "net_pnl" ? 2 : 3);
  }
  function paramText(value) {
    return typeof value === "string" ? value : JSON.stringify(value);
  }
  function paramsText(params, names) {
    return names.map(function (name) { return name + "=" + paramText(params[name]); }).join(", ");
  }

  /* The colour of `value` and whether its text needs to be light. Each side of the centre
   * has its own reach (the grid's min below, its max above), so the lowest value is the
   * deepest red and the highest the deepest green even when losses dwarf gains. */
  function shade(value, centre, reach) {
    var below = value < centre;
    var extent = below ? reach.below : reach.above;
    var a = extent > 0 ? Math.min(1, Math.abs(value - centre) / extent) : 0;
    var end = below ? LOSS : WIN;
    var rgb = NEUTRAL.map(function (n, i) { return Math.round(n + (end[i] - n) * a); });
    return { colour: "rgb(" + rgb.join(", ") + ")", dark: a > DARK_FROM };
  }
  function reachOf(grid, centre) {
    if (grid.min === null || grid.max === null) { return { below: 0, above: 0 }; }
    return { below: Math.max(centre - grid.min, 0), above: Math.max(grid.max - centre, 0) };
  }

  // -- the sweep ------------------------------------------------------------------------------------
  function open(id) {
    return SB.api("GET", "/api/optimizations/" + encodeURIComponent(id)).then(function (sweep) {
      shown = sweep;
      order = { key: "place", dir: 1 };
      render(sweep);
      markChosen(sweep.id);
      if (window.location.hash !== "#sweep=" + sweep.id) {
        window.history.replaceState(null, "", "#sweep=" + sweep.id);
      }
      $("sweep-detail").hidden = false;
      $("sweep-detail").scrollIntoView({ behavior: "smooth", block: "start" });
    }, SB.fail);
  }

  function close() {
    shown = null;
    $("sweep-detail").hidden = true;
    markChosen(null);
    if (HASH.test(window.location.hash)) {
      window.history.replaceState(null, "", window.location.pathname + window.location.search);
    }
  }

  function markChosen(id) {
    document.querySelectorAll("#sweeps-table tr[data-sweep-id]").forEach(function (row) {
      if (row.dataset.sweepId === id) { row.setAttribute("aria-current", "true"); }
      else { row.removeAttribute("aria-current"); }
    });
  }

  function render(sweep) {
    var detail = $("sweep-detail");
    detail.dataset.sweepId = sweep.id;
    detail.dataset.objective = sweep.objective;
    $("sweep-name").textContent = sweep.id;
    var facts = [
      sweep.strategy + " on " + (sweep.instrument || sweep.data_source.split("/").pop()),
      (sweep.method || "?") + " over " + sweep.parameters.join(", "),
      sweep.trials + " trials" + (sweep.skipped ? " (+" + sweep.skipped + " refused)" : ""),
      "objective " + sweep.objective + " (higher is better)"
    ];
    if (sweep.best) {
      facts.push("best: " + paramsText(sweep.best.params, sweep.parameters) + " → " +
        valueText(sweep.best.value, sweep.objective) + " (run " + sweep.best.run_id + ")");
    }
    if (sweep.study) { facts.push("study " + sweep.study); }
    $("sweep-facts").textContent = facts.join(" · ");
    renderHeatMap(sweep);
    renderResults(sweep);
  }

  // -- heat map -------------------------------------------------------------------------------------
  function renderHeatMap(sweep) {
    var grid = sweep.grid;
    var block = $("sweep-heatmap-block");
    var table = $("sweep-heatmap");
    table.tHead.replaceChildren();
    table.tBodies[0].replaceChildren();
    block.hidden = !grid;
    if (!grid) { return; }
    var byRun = {};
    sweep.results.forEach(function (t) { byRun[t.run_id] = t; });
    var centre = sweep.centre;
    var reach = reachOf(grid, centre);
    table.dataset.objective = sweep.objective;
    table.dataset.rows = String(grid.x_values.length);
    table.dataset.columns = String(grid.y_values.length);
    $("sweep-heatmap-objective").textContent = sweep.objective;
    $("sweep-heatmap-axes").textContent = "(rows " + grid.x + ", columns " + grid.y + ")";

    var head = SB.el("tr", null, SB.el("th", { className: "axis", scope: "col" }, grid.x + " ↓ · " + grid.y + " →"));
    grid.y_values.forEach(function (y) { head.appendChild(SB.el("th", { scope: "col" }, paramText(y))); });
    table.tHead.appendChild(head);

    grid.x_values.forEach(function (x, i) {
      var row = SB.el("tr", null, SB.el("th", { scope: "row" }, paramText(x)));
      grid.y_values.forEach(function (y, j) {
        row.appendChild(heatCell(sweep, grid, i, j, byRun, centre, reach));
      });
      table.tBodies[0].appendChild(row);
    });

    [["sweep-legend-min", grid.min], ["sweep-legend-max", grid.max]].forEach(function (end) {
      $(end[0]).textContent = valueText(end[1], sweep.objective);
      $(end[0]).dataset.value = end[1] === null ? "" : String(end[1]);
    });
    $("sweep-legend-centre").textContent = SB.number(centre, 2);
    var scale = $("sweep-legend-scale");
    if (grid.min === null) {
      scale.style.background = "";
    } else {
      var stops = [shade(grid.min, centre, reach).colour];
      if (grid.min < centre && centre < grid.max) {
        var at = (centre - grid.min) / (grid.max - grid.min) * 100;
        stops.push(shade(centre, centre, reach).colour + " " + at.toFixed(1) + "%");
      }
      stops.push(shade(grid.max, centre, reach).colour);
      scale.style.background = "linear-gradient(to right, " + stops.join(", ") + ")";
    }
  }

  function heatCell(sweep, grid, i, j, byRun, centre, reach) {
    var x = grid.x_values[i];
    var y = grid.y_values[j];
    var where = grid.x + "=" + paramText(x) + ", " + grid.y + "=" + paramText(y);
    var value = grid.values[i][j];
    var runId = grid.run_ids[i][j];
    var props = { dataset: { x: paramText(x), y: paramText(y) } };
    if (runId === null) {
      var reason = grid.skipped[i][j];
      props.className = reason ? "skipped" : "none";
      props.title = where + ": " + (reason ? "refused by the strategy: " + reason : "not tried");
      return SB.el("td", props, reason ? "skip" : "·");
    }
    var trial = byRun[runId] || {};
    props.dataset.runId = String(runId);
    props.title = where + ": " + sweep.objective + " " + valueText(value, sweep.objective) +
      (sweep.objective === "net_pnl" ? "" : ", net P&L " + SB.money(trial.net_pnl, true)) +
      ", " + (trial.trades === null || trial.trades === undefined ? "?" : trial.trades) + " trades (run " + runId + ")";
    var classes = ["num"];
    var best = grid.best !== null && grid.best[0] === i && grid.best[1] === j;
    if (best) { classes.push("best"); props.dataset.best = "true"; props.title += " — the best"; }
    if (value === null) {
      classes.push("undefined");
      props.title += " (" + sweep.objective + " undefined)";
    } else {
      props.dataset.value = String(value);
    }
    props.className = classes.join(" ");
    var cell = SB.el("td", props, valueText(value, sweep.objective));
    if (value !== null) {
      var look = shade(value, centre, reach);
      cell.style.backgroundColor = look.colour;
      if (look.dark) { cell.classList.add("dark"); }
    }
    return cell;
  }

  // -- results table --------------------------------------------------------------------------------
  function columns(sweep) {
    var list = [{ key: "place", label: "#", num: true }];
    sweep.parameters.forEach(function (name) { list.push({ key: "param:" + name, label: name, num: true }); });
    if (sweep.objective !== "net_pnl") { list.push({ key: "value", label: sweep.objective, num: true }); }
    list.push({ key: "net_pnl", label: "Net P&L", num: true });
    list.push({ key: "trades", label: "Trades", num: true });
    list.push({ key: "max_drawdown_pct", label: "Max DD %", num: true });
    list.push({ key: "win_rate", label: "Win rate %", num: true });
    list.push({ key: "run_id", label: "Run", num: true });
    return list;
  }

  function cellValue(trial, key) {
    if (key.indexOf("param:") === 0) { return trial.params[key.slice(6)]; }
    return trial[key];
  }

  function isNone(value) { return value === null || value === undefined; }

  function compare(a, b) {
    var aNone = isNone(a);
    var bNone = isNone(b);
    if (aNone || bNone) { return aNone === bNone ? 0 : (aNone ? 1 : -1); }
    if (typeof a === "number" && typeof b === "number") { return a - b; }
    return String(a).localeCompare(String(b), undefined, { numeric: true });
  }

  function renderResults(sweep) {
    var table = $("sweep-results");
    var cols = columns(sweep);
    var head = table.tHead.rows[0];
    head.replaceChildren();
    cols.forEach(function (c) {
      var sorted = order.key === c.key;
      var th = SB.el("th", { className: c.num ? "num" : "", scope: "col" },
        SB.el("button", { type: "button", className: "link sort", dataset: { sort: c.key } },
          c.label + (sorted ? (order.dir > 0 ? " ▲" : " ▼") : "")));
      th.setAttribute("aria-sort", sorted ? (order.dir > 0 ? "ascending" : "descending") : "none");
      head.appendChild(th);
    });
    var trials = sweep.results.map(function (t, i) { return Object.assign({ place: i + 1 }, t); });
    trials.sort(function (a, b) {
      var va = cellValue(a, order.key);
      var vb = cellValue(b, order.key);
      var first = compare(va, vb);
      return (isNone(va) || isNone(vb) ? first : first * order.dir) || a.place - b.place; // no value stays last
    });
    var rows = trials.map(function (t) {
      var cells = cols.map(function (c) {
        var value = cellValue(t, c.key);
        if (c.key === "net_pnl") { return SB.el("td", { className: "num " + SB.signClass(value) }, SB.money(value, true)); }
        if (c.key === "value") { return SB.el("td", { className: "num " + SB.signClass(value - sweep.centre) }, valueText(value, sweep.objective)); }
        if (c.key.indexOf("param:") === 0) { return SB.el("td", { className: "num mono" }, paramText(value)); }
        if (c.key === "max_drawdown_pct" || c.key === "win_rate") { return SB.el("td", { className: "num" }, SB.number(value, 2)); }
        return SB.el("td", { className: "num" }, value === null || value === undefined ? "–" : String(value));
      });
      return SB.el("tr", {
        className: t.place === 1 ? "best-row" : "",
        dataset: { runId: String(t.run_id), place: String(t.place), value: t.value === null ? "" : String(t.value) },
        title: t.trades_stored ? "This run keeps its trades" : ""
      }, cells);
    });
    SB.fillRows(table.tBodies[0], rows, "No trial ran.");
    $("sweep-results-note").textContent = "(" + trials.length + ", best first; click a heading to sort)";
  }

  function onSort(event) {
    var button = event.target.closest("button[data-sort]");
    if (!button || !shown) { return; }
    var key = button.dataset.sort;
    order = order.key === key ? { key: key, dir: -order.dir } : { key: key, dir: 1 };
    renderResults(shown);
  }

  // -- wiring ---------------------------------------------------------------------------------------
  function fromHash() {
    var found = HASH.exec(window.location.hash);
    if (found && (!shown || shown.id !== found[1])) { open(found[1]); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("sweep-list").addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action=show-sweep]");
      if (!button) { return; }
      open(button.closest("tr[data-sweep-id]").dataset.sweepId);
    });
    $("sweeps-reload").addEventListener("click", function () { SB.refresh("sweeps"); });
    $("sweep-close").addEventListener("click", close);
    $("sweep-results").addEventListener("click", onSort);
    window.addEventListener("hashchange", fromHash);
    fromHash();
  });
})();
