/* The Settings page: tabs Broker (broker_form.js), Trading, Risk, Alerts and API tokens.
 *
 * The Trading, Risk and Alerts forms are plain markup whose inputs are named by their settings
 * key ("risk.max_open_positions", "alerts.telegram.enabled") and typed with data-type; this
 * script fills them from GET /api/settings and saves a form with one POST /api/config/update
 * (all its sections or none). What the server refuses comes back as problems naming the key,
 * shown under that input. Secrets are never filled in: an empty secret input keeps the secret.
 */
(function () {
  "use strict";

  var TABS = ["broker", "trading", "risk", "alerts", "tokens"];

  function $(id) { return document.getElementById(id); }

  function get(object, path) {
    return path.reduce(function (value, key) { return value === null || value === undefined ? undefined : value[key]; }, object);
  }

  function put(object, path, value) {
    var node = object;
    path.slice(0, -1).forEach(function (key) {
      if (!node[key] || typeof node[key] !== "object") { node[key] = {}; }
      node = node[key];
    });
    node[path[path.length - 1]] = value;
  }

  // -- tabs -------------------------------------------------------------------------------------
  function showTab(name) {
    if (TABS.indexOf(name) < 0) { name = TABS[0]; }
    TABS.forEach(function (tab) {
      $("tab-" + tab).setAttribute("aria-selected", String(tab === name));
      $("panel-" + tab).hidden = tab !== name;
    });
    if (window.location.hash !== "#" + name) { history.replaceState(null, "", "#" + name); }
  }

  // -- filling and reading the forms -----------------------------------------------------------------
  function fill(form, settings) {
    form.querySelectorAll("[data-type]").forEach(function (input) {
      var path = input.name.split(".");
      var type = input.dataset.type;
      var value = get(settings, path);
      if (type === "channels") {
        var routed = get(settings, ["alerts", "events"]) || {};
        var event = path[2];
        input.checked = Object.prototype.hasOwnProperty.call(routed, event) ? routed[event].indexOf(input.value) >= 0 : true;
      } else if (type === "bool") {
        input.checked = Boolean(value);
      } else if (type === "secret") {
        input.value = "";
        input.placeholder = value ? "set (" + value + "); leave empty to keep" : "not set";
      } else if (type === "list") {
        input.value = (value || []).join(", ");
      } else {
        input.value = value === null || value === undefined ? "" : String(value);
      }
    });
  }

  function read(form) {
    var changes = {};
    var errors = {};
    var channels = {};
    form.querySelectorAll("[data-type]").forEach(function (input) {
      var path = input.name.split(".");
      var type = input.dataset.type;
      var raw = typeof input.value === "string" ? input.value.trim() : "";
      if (type === "channels") {
        channels[path[2]] = channels[path[2]] || [];
        if (input.checked) { channels[path[2]].push(input.value); }
        return;
      }
      if (type === "bool") { put(changes, path, input.checked); return; }
      if (type === "secret") { if (raw) { put(changes, path, raw); } return; }
      if (type === "list") { put(changes, path, raw.split(/[\s,]+/).filter(Boolean)); return; }
      if (type === "select") { put(changes, path, input.value); return; }
      if (raw === "") {
        if (input.dataset.null) { put(changes, path, null); }
        else { errors[input.name] = "required"; }
        return;
      }
      if (type === "text") { put(changes, path, raw); return; }
      var number = Number(raw);
      if (!isFinite(number)) { errors[input.name] = "give a number"; return; }
      if (type === "int" && !Number.isInteger(number)) { errors[input.name] = "give a whole number"; return; }
      if (input.min !== "" && number < Number(input.min)) { errors[input.name] = "at least " + input.min; return; }
      // Decimals (money) travel as text so they stay exact.
      put(changes, path, type === "decimal" ? raw : number);
    });
    if (Object.keys(channels).length) { put(changes, ["alerts", "events"], channels); }
    return { changes: changes, errors: errors };
  }

  function load() {
    return SB.api("GET", "/api/settings").then(function (settings) {
      document.querySelectorAll("form[data-settings-form]").forEach(function (form) { fill(form, settings); });
    });
  }

  function save(event) {
    event.preventDefault();
    var form = event.currentTarget;
    SB.clearErrors(form);
    var result = read(form);
    var names = Object.keys(result.errors);
    if (names.length) {
      names.forEach(function (name) { SB.fieldError(form, name, result.errors[name]); });
      return;
    }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    SB.api("POST", "/api/config/update", result.changes).then(function (answer) {
      button.disabled = false;
      var outcome = answer.updated.map(function (section) { return section + ": " + answer.applied[section]; });
      SB.toast("Saved. " + outcome.join("; "), "ok");
      return load();
    }, function (err) {
      button.disabled = false;
      var shown = false;
      ((err.body && err.body.problems) || []).forEach(function (p) {
        var key = String(p.key).replace(/\[\d+\]$/, "");  // "trading.symbols[0]" → its input
        shown = SB.fieldError(form, key, p.problem) || shown;
      });
      if (!shown) { SB.fieldError(form, "form", err.message); }
    }).catch(SB.fail);
  }

  // -- alerts test and API tokens ------------------------------------------------------------------
  function sendTest(button) {
    var note = $("alerts-test-result");
    button.disabled = true;
    note.hidden = false;
    note.className = "note";
    note.textContent = "Sending…";
    SB.api("POST", "/api/alerts/test").then(function (answer) {
      button.disabled = false;
      note.className = "note " + (answer.ok ? "ok" : "error");
      note.textContent = Object.keys(answer.results).map(function (channel) {
        return channel + ": " + answer.results[channel];
      }).join("; ");
    }, function (err) {
      button.disabled = false;
      note.className = "note error";
      note.textContent = err.message;
    });
  }

  function createToken(event) {
    event.preventDefault();
    var form = event.currentTarget;
    SB.clearErrors(form);
    var name = form.elements.name.value.trim();
    if (!name) { SB.fieldError(form, "name", "say what the token is for"); return; }
    SB.api("POST", "/api/tokens", { name: name }).then(function (created) {
      form.reset();
      $("token-text").textContent = created.token;
      $("token-created").hidden = false;
      SB.refresh("tokens");
    }, function (err) { SB.fieldError(form, "name", err.message); });
  }

  function revokeToken(button) {
    var row = button.closest("tr");
    var name = row.dataset.tokenName;
    SB.confirm("Revoke “" + name + "”?", "Scripts using this token stop working at once.", "Revoke").then(function (yes) {
      if (!yes) { return; }
      SB.api("DELETE", "/api/tokens/" + button.dataset.revoke).then(function () {
        SB.toast("Revoked “" + name + "”", "ok");
        SB.refresh("tokens");
      }, SB.fail);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-tab]").forEach(function (tab) {
      tab.addEventListener("click", function () { showTab(tab.dataset.tab); });
    });
    showTab(window.location.hash.slice(1));
    window.addEventListener("hashchange", function () { showTab(window.location.hash.slice(1)); });
    SB.brokerForm.init();
    load().catch(SB.fail);
    document.querySelectorAll("form[data-settings-form]").forEach(function (form) {
      form.addEventListener("submit", save);
    });
    $("alerts-test").addEventListener("click", function (event) { sendTest(event.currentTarget); });
    $("token-form").addEventListener("submit", createToken);
    $("token-list").addEventListener("click", function (event) {
      var button = event.target.closest("button[data-revoke]");
      if (button) { revokeToken(button); }
    });
  });
})();
