/* The login form: POST /api/login (which sets the session and CSRF cookies), then go where
 * the user was sent from, if that is a page of this site. */
(function () {
  "use strict";

  function target() {
    var next = new URLSearchParams(window.location.search).get("next") || "/";
    // Only a path of this site: "/x" but never "//host" or "/\host" (an open redirect).
    return /^\/(?![\/\\])/.test(next) ? next : "/";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("login-form");
    var error = document.getElementById("login-error");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      error.textContent = "";
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      SB.api("POST", "/api/login", {
        username: form.elements.username.value,
        password: form.elements.password.value
      }).then(function () {
        window.location.assign(target());
      }, function (err) {
        error.textContent = err.status === 401 ? "Wrong username or password." : err.message;
        button.disabled = false;
        form.elements.password.select();
      });
    });
  });
})();
