/* What every page shares: calling the JSON API (session cookie + CSRF header), showing
 * errors and notices, a confirmation dialog, number formatting and safe DOM building.
 *
 * Every text that came from the server or the user is put into the page with textContent
 * (see SB.el), never as HTML, so nothing a user typed can become markup or script.
 */
(function () {
  "use strict";
  var SB = (window.SB = window.SB || {});

  function cookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) { return decodeURIComponent(parts[i].slice(eq + 1)); }
    }
    return "";
  }
  SB.csrf = function () { return cookie("scalpbot_csrf"); };

  function ApiError(status, message, body) {
    this.name = "ApiError";
    this.status = status;
    this.message = message;
    this.body = body;
  }
  ApiError.prototype = Object.create(Error.prototype);
  SB.ApiError = ApiError;

  /* The readable text of an error body: FastAPI's {"detail": "..."}, its 422 list of
   * {loc, msg}, or the settings' {"problems": [{key, problem}]}. */
  SB.describe = function (body, status) {
    if (!body) { return "the server answered " + status; }
    if (Array.isArray(body.problems) && body.problems.length) {
      return body.problems.map(function (p) { return p.key + ": " + p.problem; }).join("; ");
    }
    if (Array.isArray(body.detail)) {
      return body.detail.map(function (d) {
        var where = (d.loc || []).filter(function (part) { return part !== "body"; }).join(".");
        return (where ? where + ": " : "") + d.msg;
      }).join("; ");
    }
    if (typeof body.detail === "string") { return body.detail; }
    return "the server answered " + status;
  };

  SB.toLogin = function () {
    window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
  };

  /* Call the API; resolves with the parsed JSON (null for 204), rejects with an ApiError. */
  SB.api = function (method, path, body) {
    var headers = { "Accept": "application/json" };
    if (method !== "GET" && method !== "HEAD") { headers["X-CSRF-Token"] = SB.csrf(); }
    var init = { method: method, headers: headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        if (text) {
          try { data = JSON.parse(text); } catch (err) { data = { detail: text.slice(0, 300) }; }
        }
        if (response.status === 401 && path !== "/api/login") { SB.toLogin(); }
        if (!response.ok) {
          throw new ApiError(response.status, SB.describe(data, response.status), data);
        }
        return data;
      });
    }, function (err) {
      throw new ApiError(0, "the server could not be reached (" + err.message + ")", null);
    });
  };

  /* Build an element: SB.el("td", {className: "num"}, "12.50"). Children are nodes or text;
   * text always goes in as text. */
  SB.el = function (tag, props, children) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (key) {
        var value = props[key];
        if (value === undefined || value === null) { return; }
        if (key === "dataset") { Object.assign(node.dataset, value); }
        else if (key in node && key !== "list") { node[key] = value; }
        else { node.setAttribute(key, value); }
      });
    }
    [].concat(children === undefined ? [] : children).forEach(function (child) {
      if (child === null || child === undefined) { return; }
      node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
    });
    return node;
  };

  SB.toast = function (message, kind) {
    var box = document.getElementById("toasts");
    if (!box) { return; }
    var toast = SB.el("div", { className: "toast " + (kind || ""), role: kind === "error" ? "alert" : "status" }, message);
    box.appendChild(toast);
    window.setTimeout(function () { toast.remove(); }, kind === "error" ? 9000 : 4500);
  };
  SB.fail = function (err) { SB.toast(err && err.message ? err.message : String(err), "error"); };

  /* Ask before doing something drastic; resolves true only if the user confirmed. */
  SB.confirm = function (title, text, okLabel) {
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog || typeof dialog.showModal !== "function") {
      return Promise.resolve(window.confirm(title + "\n\n" + text));
    }
    document.getElementById("confirm-title").textContent = title;
    document.getElementById("confirm-text").textContent = text;
    document.getElementById("confirm-ok").textContent = okLabel || "Confirm";
    dialog.returnValue = "";
    return new Promise(function (resolve) {
      dialog.addEventListener("close", function onClose() {
        dialog.removeEventListener("close", onClose);
        resolve(dialog.returnValue === "ok");
      });
      dialog.showModal();
      document.getElementById("confirm-cancel").focus();
    });
  };

  /* Money as text (exact decimals from the API) → "₹1,23,456.78" with a sign when asked. */
  var RUPEES = new Intl.NumberFormat("en-IN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  SB.money = function (value, signed) {
    if (value === null || value === undefined || value === "") { return "–"; }
    var number = Number(value);
    if (!isFinite(number)) { return String(value); }
    var sign = number < 0 ? "−" : (signed && number > 0 ? "+" : "");
    return sign + "₹" + RUPEES.format(Math.abs(number));
  };
  SB.number = function (value, digits) {
    if (value === null || value === undefined || value === "") { return "–"; }
    var number = Number(value);
    if (!isFinite(number)) { return String(value); }
    return number.toLocaleString("en-IN", { maximumFractionDigits: digits === undefined ? 2 : digits });
  };
  SB.signClass = function (value) {
    var number = Number(value);
    return number > 0 ? "pos" : (number < 0 ? "neg" : "");
  };
  /* An ISO time with any offset → "HH:MM:SS" in IST (India has one fixed offset, +05:30). */
  function ist(iso) {
    var ms = Date.parse(iso);
    return isNaN(ms) ? null : new Date(ms + 19800000).toISOString();
  }
  SB.clockText = function (iso) {
    var text = iso ? ist(iso) : null;
    return text ? text.slice(11, 19) : "–";
  };
  /* → "YYYY-MM-DD HH:MM:SS" in IST. */
  SB.stampText = function (iso) {
    var text = iso ? ist(iso) : null;
    return text ? text.slice(0, 19).replace("T", " ") : "–";
  };

  /* Replace a table body's rows; show `emptyText` in one cell when there are none. */
  SB.fillRows = function (tbody, rows, emptyText) {
    var columns = tbody.closest("table").querySelectorAll("thead th").length || 1;
    tbody.replaceChildren();
    if (!rows.length) {
      tbody.appendChild(SB.el("tr", null, SB.el("td", { className: "empty", colSpan: columns }, emptyText)));
      return;
    }
    rows.forEach(function (row) { tbody.appendChild(row); });
  };

  /* Tell htmx-driven parts to reload: <div hx-trigger="sb:NAME from:body">. */
  SB.refresh = function (name) { document.body.dispatchEvent(new CustomEvent("sb:" + name)); };

  /* Run `fn` at most once per `ms`, the last call winning. */
  SB.throttle = function (fn, ms) {
    var timer = null;
    return function () {
      if (timer !== null) { return; }
      timer = window.setTimeout(function () { timer = null; fn(); }, ms);
    };
  };

  /* A page's forms show a field's error under it: <p class="error-text" data-error-for="NAME">. */
  SB.clearErrors = function (form) {
    form.querySelectorAll("[aria-invalid=true]").forEach(function (input) { input.removeAttribute("aria-invalid"); });
    form.querySelectorAll(".error-text[data-error-for]").forEach(function (p) { p.textContent = ""; });
  };
  SB.fieldError = function (form, name, message) {
    var input = form.querySelector('[name="' + CSS.escape(name) + '"]');
    var slot = form.querySelector('.error-text[data-error-for="' + CSS.escape(name) + '"]');
    if (input) { input.setAttribute("aria-invalid", "true"); }
    if (slot) { slot.textContent = message; return true; }
    return false;
  };

  document.addEventListener("htmx:config:request", function (event) {
    var ctx = event.detail && event.detail.ctx;
    if (ctx && ctx.request && ctx.request.headers) { ctx.request.headers["X-CSRF-Token"] = SB.csrf(); }
  });
  document.addEventListener("htmx:response:error", function (event) {
    var ctx = event.detail && event.detail.ctx;
    var status = ctx && ctx.response ? ctx.response.status : 0;
    if (status === 401) { SB.toLogin(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    // The button is served disabled and enabled here, once clicking it does something: a
    // click between the page's arrival and this script would otherwise be silently lost.
    var logout = document.getElementById("logout");
    if (logout) {
      logout.addEventListener("click", function () {
        SB.api("POST", "/api/logout").catch(function () { return null; }).then(function () {
          window.location.assign("/login");
        });
      });
      logout.removeAttribute("title");
      logout.disabled = false;
    }
  });
})();
