/* The on-call pages' script: the alert lists and an alert's page stay live over Server-Sent Events.
   Every page works without it (reload to see changes); warroom.js does the rest (times, "other" fields). */
(function () {
  "use strict";

  function parse(html) {
    var template = document.createElement("template");
    template.innerHTML = html;  // HTML the server rendered and escaped, from our own origin
    return template.content;
  }

  // The server writes UTC; the reader wants their own clock (as warroom.js does for the first render).
  function localizeTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (node) {
      if (node.dataset.local) return;
      var when = new Date(node.getAttribute("datetime"));
      if (isNaN(when.getTime())) return;
      node.dataset.local = "1";
      var full = when.toLocaleString([], { year: "numeric", month: "short", day: "numeric",
                                           hour: "2-digit", minute: "2-digit" });
      node.textContent = full;
      node.title = full + " (" + node.getAttribute("datetime").slice(0, 16).replace("T", " ") + " UTC)";
    });
  }

  function setLive(on) {
    var state = document.getElementById("live-state");
    if (!state) return;
    state.hidden = false;
    state.textContent = on ? "live" : "reconnecting…";
    state.classList.toggle("is-offline", !on);
  }

  // Open a stream; reconnect with back-off when the server closed it (e.g. the session ended).
  function follow(url, handlers) {
    var retry = 5000;
    function start() {
      var source = new EventSource(url());
      source.addEventListener("open", function () { setLive(true); retry = 5000; });
      source.addEventListener("error", function () {
        setLive(false);
        if (source.readyState === EventSource.CLOSED) {
          setTimeout(start, retry);
          retry = Math.min(retry * 2, 60000);
        }
      });
      Object.keys(handlers).forEach(function (name) { source.addEventListener(name, handlers[name]); });
      window.addEventListener("pagehide", function () { source.close(); });
    }
    start();
  }

  /* The lists: /alerts?status=… ---------------------------------------------------------------- */

  function followList(section) {
    var url = function () {
      return "/alerts/events?status=" + encodeURIComponent(section.dataset.status)
        + "&page=" + encodeURIComponent(section.dataset.page)
        + (section.dataset.unrouted ? "&unrouted=1" : "");
    };
    follow(url, {
      alerts: function (event) {
        var known = {};
        section.querySelectorAll("tr[data-id]").forEach(function (row) { known[row.dataset.id] = true; });
        var fresh = parse(event.data);
        fresh.querySelectorAll("tr[data-id]").forEach(function (row) {
          if (!known[row.dataset.id]) row.classList.add("is-new");
        });
        localizeTimes(fresh);
        section.replaceChildren(fresh);
      },
    });
  }

  /* One alert: /alerts/{id} ---------------------------------------------------------------------- */

  function followAlert(page) {
    var list = document.getElementById("alert-events");
    var lastId = function () {
      var last = Number(page.dataset.lastId) || 0;
      list.querySelectorAll("li[data-id]").forEach(function (item) { last = Math.max(last, Number(item.dataset.id)); });
      return last;
    };
    var pending = {};  // what arrived while the reader was on a button in it: shown when they leave
    function swap(id, html) {
      var target = document.getElementById(id);
      if (!target) return;
      if (target.contains(document.activeElement)) {  // never pull a button from under a finger
        pending[id] = html;
        return;
      }
      delete pending[id];
      var fresh = parse(html);
      localizeTimes(fresh);
      target.replaceChildren(fresh);
    }
    document.addEventListener("focusout", function () {
      setTimeout(function () {
        Object.keys(pending).forEach(function (id) { swap(id, pending[id]); });
      }, 0);
    });
    follow(function () { return "/alerts/" + page.dataset.id + "/events?after=" + lastId(); }, {
      entry: function (event) {
        var item = parse(event.data).firstElementChild;
        if (!item || document.getElementById(item.id)) return;
        localizeTimes(item);
        item.classList.add("is-new");
        list.appendChild(item);
      },
      state: function (event) { swap("alert-state", event.data); },
      deliveries: function (event) { swap("alert-deliveries", event.data); },
    });
  }

  if (!window.EventSource) return;
  var section = document.getElementById("alerts-live");
  if (section) followList(section);
  var alertPage = document.getElementById("alert");
  if (alertPage && alertPage.dataset.live === "1") followAlert(alertPage);
})();
