/* The push channel /ws: one WebSocket, reconnected with a growing pause when it drops.
 *
 *   SB.push.connect({open: fn, status: fn, pnl: fn, ...}, indicatorElement)
 *
 * Each message is {"type": ..., "data": ...}; the handler named by its type gets `data`.
 * `open` runs on every (re)connection, before the snapshot the server sends first, so a page
 * can clear what it showed and rebuild it from the snapshot. The browser sends the session
 * cookie with the handshake; the server checks it and the page's origin.
 */
(function () {
  "use strict";
  var SB = (window.SB = window.SB || {});

  SB.push = {
    connect: function (handlers, indicator) {
      var delay = 500;
      var socket = null;
      var stopped = false;

      function show(state, text) {
        if (!indicator) { return; }
        indicator.dataset.state = state;
        indicator.textContent = text;
      }

      function open() {
        var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
        socket = new WebSocket(scheme + window.location.host + "/ws");
        socket.addEventListener("open", function () {
          delay = 500;
          show("live", "live");
          if (handlers.open) { handlers.open(); }
        });
        socket.addEventListener("message", function (event) {
          var message;
          try { message = JSON.parse(event.data); } catch (err) { return; }
          var handler = handlers[message.type];
          if (handler) {
            try { handler(message.data); } catch (err) { console.error("push handler", message.type, err); }
          }
        });
        socket.addEventListener("close", function () {
          if (stopped) { return; }
          show("reconnecting", "reconnecting");
          // A refused handshake looks like any other drop to a page; if the login has ended,
          // an API call answers 401 and SB.api takes the user to the login page.
          SB.api("GET", "/api/status").catch(function () { return null; });
          window.setTimeout(open, delay);
          delay = Math.min(delay * 2, 5000);
        });
      }

      window.addEventListener("beforeunload", function () {
        stopped = true;
        if (socket) { socket.close(); }
      });
      open();
      return {
        send: function (message) {
          if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(message)); }
        }
      };
    }
  };
})();
