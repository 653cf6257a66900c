/* The broker form (Accounts, and Settings → Broker): choose a broker and enter its
 * credentials. The fields come from GET /api/brokers/supported; what is configured comes from
 * GET /api/broker/current, where secrets are masked ("ABCD…"). A secret is never put into an
 * input: its field stays empty and says it is set; an empty secret field keeps the secret.
 * Saving fires "sb:broker" on the body so the rest of the page can refresh.
 */
(function () {
  "use strict";
  var SB = (window.SB = window.SB || {});
  var brokers = {};
  var current = null;

  function $(id) { return document.getElementById(id); }

  function renderFields(name) {
    var entry = brokers[name];
    var box = $("broker-fields");
    box.replaceChildren();
    $("broker-docs").textContent = entry ? entry.docs : "";
    $("broker-planned").hidden = !entry || entry.implemented;
    if (!entry) { return; }
    $("broker-secrets-help").hidden = !entry.fields.length;
    var same = current && current.name === name;
    entry.fields.forEach(function (f) {
      var shown = same ? current.settings[f.name] : null;
      var input = SB.el("input", {
        type: f.secret ? "password" : "text", name: f.name, autocomplete: "off",
        dataset: { secret: f.secret ? "1" : "", wasSet: shown ? "1" : "" }
      });
      if (f.secret) { input.placeholder = shown ? "set (" + shown + "); leave empty to keep" : "not set"; }
      else { input.value = shown || ""; }
      box.appendChild(SB.el("label", { className: "field" }, [
        SB.el("span", null, f.label + (f.required ? " *" : "")), input,
        SB.el("p", { className: "error-text", dataset: { errorFor: f.name } })
      ]));
    });
  }

  function load() {
    return Promise.all([SB.api("GET", "/api/brokers/supported"), SB.api("GET", "/api/broker/current")])
      .then(function (answers) {
        current = answers[1];
        var select = $("broker-name");
        select.replaceChildren();
        answers[0].brokers.forEach(function (b) {
          brokers[b.name] = b;
          select.appendChild(SB.el("option", { value: b.name }, b.title + (b.implemented ? "" : " (planned)")));
        });
        select.value = current.name;
        renderFields(current.name);
      });
  }

  function save(event) {
    event.preventDefault();
    var form = $("broker-form");
    SB.clearErrors(form);
    var body = { name: form.elements.name.value };
    $("broker-fields").querySelectorAll("input").forEach(function (input) {
      var value = input.value.trim();
      if (value) { body[input.name] = value; }
      else if (!input.dataset.secret && input.dataset.wasSet) { body[input.name] = null; }
    });
    var button = $("broker-save");
    button.disabled = true;
    SB.api("POST", "/api/broker/configure", body).then(function (answer) {
      button.disabled = false;
      current = answer;
      renderFields(answer.name);
      SB.toast("Saved: broker " + answer.title, "ok");
      document.body.dispatchEvent(new CustomEvent("sb:broker", { detail: answer }));
    }, function (err) {
      button.disabled = false;
      var shown = false;
      ((err.body && err.body.problems) || []).forEach(function (p) {
        shown = SB.fieldError(form, String(p.key).replace(/^broker\./, ""), p.problem) || shown;
      });
      if (!shown) { SB.fieldError(form, "broker", err.message); }
    });
  }

  SB.brokerForm = {
    init: function () {
      $("broker-name").addEventListener("change", function (event) { renderFields(event.target.value); });
      $("broker-form").addEventListener("submit", save);
      return load().catch(SB.fail);
    }
  };
})();
