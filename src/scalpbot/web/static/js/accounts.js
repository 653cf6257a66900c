/* The Accounts page: the broker form (broker_form.js), then the connection: a real test call
 * (profile, funds and margins), the broker's login flow and whether its session is valid.
 */
(function () {
  "use strict";

  function $(id) { return document.getElementById(id); }

  function message(text, kind) {
    var note = $("connection-message");
    note.hidden = !text;
    note.textContent = text || "";
    note.className = "note " + (kind || "");
  }

  function loadAuth() {
    return SB.api("GET", "/api/auth/status").then(function (answer) {
      var badge = $("auth-status");
      badge.dataset.state = answer.authenticated ? "ok" : "error";
      badge.textContent = answer.broker + ": " + (answer.authenticated ? "logged in" : "not logged in") +
        (answer.expires_at ? " until " + SB.stampText(answer.expires_at) : "");
    }, SB.fail);
  }

  function showAccount(answer) {
    var profile = $("broker-profile");
    profile.replaceChildren();
    [["Broker", answer.profile.broker], ["User", answer.profile.user_name + " (" + answer.profile.user_id + ")"],
     ["Exchanges", answer.profile.exchanges.join(", ")], ["Products", answer.profile.products.join(", ")]]
      .forEach(function (pair) {
        profile.appendChild(SB.el("div", null, [SB.el("dt", null, pair[0]), SB.el("dd", null, pair[1])]));
      });
    var f = answer.funds;
    SB.fillRows($("broker-funds").querySelector("tbody"), [SB.el("tr", null, [
      SB.el("td", null, f.segment), SB.el("td", { className: "num", dataset: { field: "available_cash" } }, SB.money(f.available_cash)),
      SB.el("td", { className: "num" }, SB.money(f.used_margin)), SB.el("td", { className: "num" }, SB.money(f.total_balance))
    ])], "No funds reported");
    $("broker-account").hidden = false;
  }

  function test(button) {
    button.disabled = true;
    message("Testing…", "");
    SB.api("POST", "/api/broker/test").then(function (answer) {
      button.disabled = false;
      message("Connection OK: " + answer.broker + " answered with the profile and funds below.", "ok");
      showAccount(answer);
    }, function (err) {
      button.disabled = false;
      $("broker-account").hidden = true;
      message("Connection test failed: " + err.message, "error");
    });
  }

  function login(button) {
    button.disabled = true;
    SB.api("POST", "/api/authenticate").then(function (answer) {
      button.disabled = false;
      if (answer.status === "login_required" && answer.login_url) {
        // The broker's own login page; it sends the browser back to our callback.
        message("Opening the " + answer.broker + " login page…", "ok");
        window.location.assign(answer.login_url);
        return;
      }
      message("Logged in to " + answer.broker + " (" + answer.status + ").", "ok");
      loadAuth();
    }, function (err) {
      button.disabled = false;
      message("Login failed: " + err.message, "error");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    SB.brokerForm.init();
    loadAuth();
    $("broker-test").addEventListener("click", function (event) { test(event.currentTarget); });
    $("broker-login").addEventListener("click", function (event) { login(event.currentTarget); });
    document.body.addEventListener("sb:broker", function () {
      $("broker-account").hidden = true;
      message("", "");
      loadAuth();
    });
  });
})();
