/* Warroom's page script. Every page works without it; with it, rooms are live (Server-Sent
   Events), forms post with fetch and answer in place, and "/" jumps to the composer. */
(function () {
  "use strict";

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : "";

  function parse(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    return template.content;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  /* Times ---------------------------------------------------------------------------------------- */

  // The server writes UTC; the reader wants their own clock.
  function localizeTimes(root) {
    var today = new Date().toDateString();
    root.querySelectorAll("time[datetime]").forEach(function (node) {
      if (node.dataset.local) return;
      var when = new Date(node.getAttribute("datetime"));
      if (isNaN(when.getTime())) return;
      node.dataset.local = "1";
      var clock = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      var full = when.toLocaleString([], { year: "numeric", month: "short", day: "numeric",
                                           hour: "2-digit", minute: "2-digit" });
      if (node.classList.contains("entry__time")) {
        node.textContent = when.toDateString() === today ? clock
          : when.toLocaleDateString([], { month: "short", day: "numeric" }) + " " + clock;
      } else {
        node.textContent = full;
      }
      node.title = full + " (" + node.getAttribute("datetime").slice(0, 16).replace("T", " ") + " UTC)";
    });
  }

  /* Keyboard --------------------------------------------------------------------------------------- */

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
    var field = document.getElementById("composer-text") || document.getElementById("q");
    if (field && !field.disabled) {
      event.preventDefault();
      field.focus();
    }
  });

  // With a keyboard, Enter sends (Shift+Enter for a new line); on a touch screen Enter is a new line.
  var keyboardFirst = window.matchMedia && window.matchMedia("(pointer: fine)").matches;
  if (keyboardFirst) document.documentElement.classList.add("keyboard");
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!keyboardFirst || target.id !== "composer-text" || event.key !== "Enter" || event.shiftKey
        || event.isComposing) return;
    event.preventDefault();
    if (target.value.trim()) target.form.requestSubmit();
  });

  /* Forms posted with fetch ---------------------------------------------------------------------- */

  function clearMessages(form) {
    form.querySelectorAll("[data-js-message]").forEach(function (node) { node.remove(); });
  }

  function showError(form, message) {
    var line = el("p", "error", message);
    line.setAttribute("role", "alert");
    line.dataset.jsMessage = "1";
    var area = form.querySelector("[data-reply]");
    if (area) area.replaceChildren(line);
    else form.appendChild(line);
  }

  function showReply(area, reply) {
    var box = el("div", "reply");
    box.dataset.jsMessage = "1";
    if (reply.message) box.appendChild(document.createTextNode(reply.message));
    (reply.warnings || []).forEach(function (warning) {
      box.appendChild(el("div", "reply__warning", "⚠ " + warning));
    });
    if (reply.link) {
      var link = el("a", "", "Open " + reply.link.split("/").pop() + " →");
      link.href = reply.link;
      box.appendChild(el("div")).appendChild(link);
    }
    area.replaceChildren(box);
  }

  var noticeTimer = null;
  function notice(reply) {
    var area = document.getElementById("panel-notice");
    if (!area || (!reply.message && !(reply.warnings || []).length)) return;
    var box = el("div", "flash");
    if (reply.message) box.appendChild(el("p", "flash__message", reply.message));
    (reply.warnings || []).forEach(function (warning) {
      box.appendChild(el("p", "flash__warning", "⚠ " + warning));
    });
    area.replaceChildren(box);
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(function () { area.replaceChildren(); }, 15000);
  }

  function settle(form, reply) {
    clearMessages(form);
    if (!reply.ok) {
      showError(form, reply.error || reply.detail || "That did not work; try again.");
      return;
    }
    var area = form.querySelector("[data-reply]");
    if (form.id === "composer") {
      form.querySelector("textarea").value = "";
      if (area) {
        if (reply.message) showReply(area, reply);
        else area.replaceChildren();
      }
    } else {
      form.reset();
      notice(reply);
      var details = form.closest("details[id]");
      if (details) {
        details.open = false;  // done with it; the panel is about to show the result
        opened[details.id] = false;
      }
    }
    if (form.dataset.done) {
      form.replaceWith(el("span", "badge", form.dataset.done));
    }
    if (room && room.dataset.live === "1") {
      catchUp();  // in case the live stream is slow or down
      refreshPanel();
    }
  }

  function post(form) {
    if (form.dataset.busy) return;
    form.dataset.busy = "1";
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (button) { button.disabled = true; button.setAttribute("aria-busy", "true"); });
    fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().catch(function () {
          return { ok: false, error: "Warroom answered " + response.status + "; try again." };
        });
      })
      .catch(function () {
        return { ok: false, error: "Could not reach Warroom. Nothing was lost: try again." };
      })
      .then(function (reply) {
        delete form.dataset.busy;
        buttons.forEach(function (button) { button.disabled = false; button.removeAttribute("aria-busy"); });
        settle(form, reply);
      });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-enhance]")) return;
    event.preventDefault();
    post(form);
  });

  /* "Another role…" shows its name field only when chosen. */
  function syncOtherFields(root) {
    root.querySelectorAll("select[data-other]").forEach(function (select) {
      var field = document.getElementById(select.dataset.other);
      if (field) field.hidden = select.value !== "other";
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[data-other]")) {
      syncOtherFields(event.target.form || document);
      var field = document.getElementById(event.target.dataset.other);
      if (field && !field.hidden) field.querySelector("input").focus();
    }
  });

  /* The room -------------------------------------------------------------------------------------- */

  var room = document.getElementById("room");
  var timeline = document.getElementById("timeline-list");
  var ref = room ? room.dataset.ref : "";

  function lastId() {
    var entries = timeline ? timeline.querySelectorAll(".entry[data-id]") : [];
    var last = Number(room ? room.dataset.lastId : 0) || 0;
    entries.forEach(function (entry) { last = Math.max(last, Number(entry.dataset.id)); });
    return last;
  }

  function addEntries(html, where) {
    if (!timeline) return;
    var fragment = parse(html);
    var fresh = [];
    Array.prototype.slice.call(fragment.children).forEach(function (entry) {
      if (!entry.id || document.getElementById(entry.id)) return;
      fresh.push(entry);
    });
    var batch = document.createDocumentFragment();
    fresh.forEach(function (entry) {
      localizeTimes(entry);
      if (where !== "start") entry.classList.add("is-new");
      batch.appendChild(entry);
    });
    // An earlier page goes above what is shown, in its own order; new entries go below.
    timeline.insertBefore(batch, where === "start" ? timeline.firstChild : null);
  }

  function replaceEntry(html) {
    var fresh = parse(html).firstElementChild;
    var old = fresh && document.getElementById(fresh.id);
    if (old) {
      localizeTimes(fresh);
      old.replaceWith(fresh);
    }
  }

  function catchUp() {
    fetch("/incidents/" + ref + "/entries?after=" + lastId(), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) { if (html) addEntries(html); })
      .catch(function () { /* the live stream will bring them */ });
  }

  // The panel is re-read after every change; what the reader has opened or typed survives.
  // A details element remembers how the server drew it, so a swap can tell the reader's choice.
  var opened = {};
  var panelPending = false;
  var panelTimer = null;

  function markDrawn(root) {
    root.querySelectorAll("details[id]").forEach(function (details) {
      details.dataset.drawnOpen = details.open ? "1" : "0";
    });
  }

  function rememberOpened(root) {
    root.querySelectorAll("details[id]").forEach(function (details) {
      if (details.open !== (details.dataset.drawnOpen === "1")) opened[details.id] = details.open;
    });
  }

  function typingIn(body) {
    var active = document.activeElement;
    return active && body.contains(active) && /^(INPUT|TEXTAREA)$/.test(active.tagName)
      && !/^(checkbox|radio|hidden|submit)$/.test(active.type);
  }

  function swapPanel(body, html) {
    var typed = {};
    body.querySelectorAll("input[id], textarea[id]").forEach(function (field) {
      if (field.type !== "hidden" && field.value !== field.defaultValue) typed[field.id] = field.value;
    });
    var chosen = {};
    body.querySelectorAll("select[id]").forEach(function (select) {
      var option = select.options[select.selectedIndex];
      if (option && !option.defaultSelected) chosen[select.id] = select.value;
    });
    rememberOpened(body);
    body.replaceChildren(parse(html));
    markDrawn(body);
    Object.keys(opened).forEach(function (id) {
      var details = document.getElementById(id);
      if (details && details.tagName === "DETAILS") details.open = opened[id];
    });
    Object.keys(typed).forEach(function (id) {
      var field = document.getElementById(id);
      if (field) field.value = typed[id];
    });
    Object.keys(chosen).forEach(function (id) {
      var select = document.getElementById(id);
      if (select) select.value = chosen[id];
    });
    localizeTimes(body);
    syncOtherFields(body);
    var badges = body.querySelector("#panel-badges");
    var head = document.getElementById("room-badges");
    if (badges && head) head.replaceChildren(badges.content.cloneNode(true));
    var panel = body.querySelector(".panel");
    if (panel && panel.dataset.archived === "1" && room.dataset.archived !== "1") {
      window.location.reload();  // closed elsewhere: the composer must go
    }
  }

  function refreshPanel() {
    var body = document.getElementById("panel-body");
    if (!body) return;
    if (typingIn(body)) {
      panelPending = true;
      return;
    }
    panelPending = false;
    fetch("/incidents/" + ref + "/panel", { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) return;
        if (typingIn(body)) {
          panelPending = true;
          return;
        }
        swapPanel(body, html);
      })
      .catch(function () { panelPending = true; });
  }

  function schedulePanel() {
    clearTimeout(panelTimer);
    panelTimer = setTimeout(refreshPanel, 150);
  }

  document.addEventListener("focusout", function () {
    if (panelPending) setTimeout(function () { if (panelPending) refreshPanel(); }, 0);
  });

  function setLive(on) {
    var state = document.getElementById("live-state");
    if (!state) return;
    state.hidden = false;
    state.textContent = on ? "live" : "reconnecting…";
    state.classList.toggle("is-offline", !on);
  }

  var liveRetry = 5000;
  function startLive() {
    var source = new EventSource("/incidents/" + ref + "/events?after=" + lastId());
    source.addEventListener("open", function () { setLive(true); liveRetry = 5000; });
    source.addEventListener("error", function () {
      setLive(false);
      // The browser retries by itself unless the server refused (e.g. the session ended).
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(startLive, liveRetry);
        liveRetry = Math.min(liveRetry * 2, 60000);
      }
    });
    source.addEventListener("entry", function (event) { addEntries(event.data); });
    source.addEventListener("replace", function (event) { replaceEntry(event.data); });
    source.addEventListener("panel", schedulePanel);
    window.addEventListener("pagehide", function () { source.close(); });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-earlier]");
    if (!link || !room) return;
    event.preventDefault();
    fetch("/incidents/" + ref + "/entries?before=" + link.dataset.earlier, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        var earlier = response.headers.get("X-Warroom-Earlier");
        return response.text().then(function (html) {
          addEntries(html, "start");
          if (earlier) {
            link.dataset.earlier = earlier;
            link.href = "/incidents/" + ref + "?before=" + earlier;
          } else {
            link.parentNode.remove();
          }
        });
      })
      .catch(function () { window.location.href = link.href; });
  });

  /* Announcements --------------------------------------------------------------------------------- */

  function startFeed(feed) {
    var source = new EventSource("/announcements/events?after=" + (feed.dataset.lastId || 0));
    source.addEventListener("announcement", function (event) {
      var item = parse(event.data).firstElementChild;
      if (!item || document.getElementById(item.id)) return;
      var empty = feed.querySelector(".feed__empty");
      if (empty) empty.remove();
      localizeTimes(item);
      item.classList.add("is-new");
      feed.insertBefore(item, feed.firstChild);
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  /* Start ------------------------------------------------------------------------------------------ */

  localizeTimes(document);
  syncOtherFields(document);
  markDrawn(document);
  if (room && room.dataset.live === "1" && window.EventSource) startLive();
  var feed = document.getElementById("feed");
  if (feed && feed.dataset.live === "1" && window.EventSource) startFeed(feed);
})();
