/* A strategy's parameter inputs, generated from its schema (GET /api/strategies/templates):
 * int and float → number inputs with min/max/step, bool → checkbox, choice → select.
 *
 *   SB.paramForm.render(fieldset, schema, values)   // values: current params (or defaults)
 *   var read = SB.paramForm.read(fieldset)          // {params: {...}, errors: {name: text}}
 *
 * A strategy without a schema (the user's own class) gets one JSON text area instead.
 * Each input is named "params.NAME" so the API's 422 answer (loc body.params.NAME) finds it.
 */
(function () {
  "use strict";
  var SB = (window.SB = window.SB || {});

  function numberInput(param, value) {
    var input = SB.el("input", { type: "number", name: "params." + param.name });
    if (param.low !== undefined && param.low !== null) { input.min = param.low; }
    if (param.high !== undefined && param.high !== null) { input.max = param.high; }
    input.step = param.step !== undefined && param.step !== null ? param.step : (param.type === "int" ? 1 : "any");
    input.value = value === undefined || value === null ? "" : value;
    return input;
  }

  function field(param, value) {
    var name = "params." + param.name;
    var help = param.doc ? SB.el("p", { className: "help" }, param.doc) : null;
    var error = SB.el("p", { className: "error-text", dataset: { errorFor: name } });
    if (param.type === "bool") {
      var box = SB.el("input", { type: "checkbox", name: name, checked: Boolean(value) });
      return SB.el("div", { className: "field", dataset: { param: param.name, type: "bool" } }, [
        SB.el("label", { className: "check" }, [box, SB.el("span", null, param.name)]), help, error
      ]);
    }
    var input;
    if (param.type === "choice") {
      input = SB.el("select", { name: name }, (param.choices || []).map(function (choice) {
        return SB.el("option", { value: String(choice), selected: String(choice) === String(value) }, String(choice));
      }));
    } else if (param.type === "int" || param.type === "float") {
      input = numberInput(param, value);
    } else {
      input = SB.el("input", { type: "text", name: name, value: value === undefined || value === null ? "" : String(value) });
    }
    var range = "";
    if (param.low !== undefined && param.high !== undefined) { range = " (" + param.low + "–" + param.high + ")"; }
    return SB.el("label", { className: "field", dataset: { param: param.name, type: param.type } }, [
      SB.el("span", null, [param.name, SB.el("small", { className: "help" }, range)]), input, help, error
    ]);
  }

  SB.paramForm = {
    render: function (fieldset, schema, values) {
      var legend = fieldset.querySelector("legend");
      fieldset.replaceChildren(legend);
      values = values || {};
      if (!schema) {
        var area = SB.el("textarea", { name: "params", rows: 4, dataset: { type: "json" } });
        area.value = JSON.stringify(values, null, 2);
        fieldset.appendChild(SB.el("label", { className: "field", dataset: { type: "json" } }, [
          SB.el("span", null, "Parameters as JSON"), area,
          SB.el("p", { className: "help" }, "Your class's own parameters, e.g. {\"period\": 20}.")
        ]));
        return;
      }
      if (!schema.length) {
        fieldset.appendChild(SB.el("p", { className: "help" }, "This strategy has no parameters."));
      }
      schema.forEach(function (param) {
        var value = Object.prototype.hasOwnProperty.call(values, param.name) ? values[param.name] : param.default;
        fieldset.appendChild(field(param, value));
      });
    },

    read: function (fieldset, schema) {
      var params = {};
      var errors = {};
      if (!schema) {
        var area = fieldset.querySelector("textarea[name=params]");
        var text = area ? area.value.trim() : "";
        try {
          params = text ? JSON.parse(text) : {};
          if (params === null || typeof params !== "object" || Array.isArray(params)) { throw new Error("not an object"); }
        } catch (err) {
          errors.params = "Parameters must be a JSON object, e.g. {\"period\": 20}";
        }
        return { params: params, errors: errors };
      }
      schema.forEach(function (param) {
        var input = fieldset.querySelector('[name="params.' + CSS.escape(param.name) + '"]');
        if (!input) { return; }
        if (param.type === "bool") { params[param.name] = input.checked; return; }
        if (param.type !== "int" && param.type !== "float") { params[param.name] = input.value; return; }
        var raw = input.value.trim();
        var number = Number(raw);
        if (raw === "" || !isFinite(number)) { errors[param.name] = "give a number"; return; }
        if (param.type === "int" && !Number.isInteger(number)) { errors[param.name] = "give a whole number"; return; }
        if (param.low !== undefined && param.low !== null && number < param.low) { errors[param.name] = "at least " + param.low; return; }
        if (param.high !== undefined && param.high !== null && number > param.high) { errors[param.name] = "at most " + param.high; return; }
        params[param.name] = number;
      });
      return { params: params, errors: errors };
    }
  };
})();
