// tripdesk: keyboard shortcuts and the small-screen menu. No build step.
(function () {
  "use strict";
  // htmx requests carry the session's CSRF token.
  document.addEventListener("htmx:configRequest", function (e) {
    var token = document.body.dataset.csrf;
    if (token) e.detail.headers["X-CSRF-Token"] = token;
  });
  // The bell: unread count, live from the server's event stream (reconnects by itself).
  var count = document.querySelector("[data-bell-count]");
  if (count && window.EventSource) {
    var stream = new EventSource("/notifications/stream");
    stream.addEventListener("unread", function (e) {
      var n = 0;
      try { n = JSON.parse(e.data).unread; } catch (_) { return; }
      count.textContent = n > 99 ? "99+" : String(n);
      count.hidden = n === 0;
      document.querySelector("[data-bell]").setAttribute("data-unread", String(n));
    });
    // Close the stream when the page is left: a page kept in the back/forward cache would
    // otherwise hold its connection, and after six pages the browser (six connections per
    // host over HTTP/1.1) stalls every request until old streams time out.
    window.addEventListener("pagehide", function () { stream.close(); });
  }
  var toggle = document.querySelector(".menu-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var open = document.body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  var pending = null;
  var go = { h: "/", t: "/desk", u: "/admin/users", d: "/admin/departments", n: "/notifications", m: "/notify/messages" };
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) {
      if (e.key === "Escape") t.blur();
      return;
    }
    if (e.key === "/") {
      var search = document.querySelector("[data-shortcut='/']");
      if (search) { e.preventDefault(); search.focus(); search.select(); }
      return;
    }
    var rows = document.querySelectorAll("[data-rows] tbody tr");
    if (rows.length && (e.key === "j" || e.key === "k" || e.key === "Enter")) {
      var cur = document.querySelector("[data-rows] tbody tr.selected");
      var i = Array.prototype.indexOf.call(rows, cur);
      if (e.key === "Enter" && cur) { var a = cur.querySelector("a"); if (a) window.location.href = a.href; return; }
      if (cur) cur.classList.remove("selected");
      i = e.key === "j" ? Math.min(i + 1, rows.length - 1) : Math.max(i - 1, 0);
      rows[i].classList.add("selected");
      rows[i].scrollIntoView({ block: "nearest" });
      return;
    }
    if ((e.key === "r" || e.key === "t") && pending !== "g") {
      var target = document.querySelector(e.key === "r" ? "[data-reply-box]" : "[data-reply-picker]");
      if (target) { e.preventDefault(); target.focus(); return; }
    }
    if (e.key === "n" && pending !== "g") {
      var n = document.querySelector("[data-key='n']");
      if (n) { window.location.href = n.href; return; }
    }
    if (pending === "g" && go[e.key]) {
      window.location.href = go[e.key];
      pending = null;
      return;
    }
    pending = e.key === "g" ? "g" : null;
  });
  // Filters apply as soon as one changes.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-autosubmit] select"), function (sel) {
    sel.addEventListener("change", function () { sel.form.submit(); });
  });
  // SLA badges count down from the due instant the server rendered (corrected for the
  // difference between the server's clock and this one).
  var slaText = document.querySelector("[data-sla-text]");
  var badges = document.querySelectorAll("[data-due]");
  if (slaText && badges.length) {
    var skew = Number(slaText.dataset.now) - Date.now();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var span = function (secs) {
      var d = slaText.dataset;
      if (secs < 3600) return pad(Math.floor(secs / 60)) + ":" + pad(secs % 60);
      if (secs < 86400) return Math.floor(secs / 3600) + d.h + pad(Math.floor(secs % 3600 / 60)) + d.m;
      return (Math.floor(secs / 86400) + d.d + Math.floor(secs % 86400 / 3600) + d.h).trim();
    };
    var tick = function () {
      var now = Date.now() + skew;
      Array.prototype.forEach.call(badges, function (b) {
        if (b.dataset.state === "paused") return;
        var due = Number(b.dataset.due), warn = Number(b.dataset.warn || 0);
        var left = Math.round((due - now) / 1000);
        var risk = left <= 0 ? "breached" : (warn && now >= warn ? "at_risk" : "on_track");
        b.className = b.className.replace(/\bsla-(on_track|at_risk|breached)\b/, "sla-" + risk);
        b.textContent = (left <= 0 ? slaText.dataset.over : slaText.dataset.left).replace("{t}", span(Math.abs(left)));
      });
    };
    tick();
    window.setInterval(tick, 1000);
  }
  // Reply templates: pick one from the list, or type ";key" and press Tab in the reply box.
  var box = document.querySelector("[data-reply-box]");
  var picker = document.querySelector("[data-reply-picker]");
  var insert = function (text, from) {
    var start = from === undefined ? box.selectionStart : from;
    var end = box.selectionEnd;
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    box.selectionStart = box.selectionEnd = start + text.length;
    box.focus();
  };
  if (box && picker) {
    picker.addEventListener("change", function () {
      if (!picker.value) return;
      insert(picker.value);
      picker.value = "";
    });
    box.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && box.form) { e.preventDefault(); box.form.submit(); return; }
      if (e.key !== "Tab" || e.shiftKey) return;
      var before = box.value.slice(0, box.selectionStart);
      var m = /;([a-z0-9_]+)$/.exec(before);
      if (!m) return;
      var lang = document.documentElement.lang;
      var opts = Array.prototype.filter.call(picker.querySelectorAll("option[data-key]"), function (o) { return o.dataset.key === m[1]; });
      var pick = opts.filter(function (o) { return o.dataset.locale === lang; })[0] || opts[0];
      if (!pick) return;
      e.preventDefault();
      insert(pick.value, box.selectionStart - m[0].length);
    });
  }
})();

// Attaching a file on the ticket page: the file is the request body of the API upload
// (cookie session + CSRF header), then the page reloads to list it.
(function () {
  var input = document.querySelector("[data-attach]");
  if (!input) return;
  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    if (!file) return;
    var url = input.dataset.attach + "?file_name=" + encodeURIComponent(file.name);
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": file.type || "application/octet-stream", "x-csrf-token": input.dataset.csrf },
      body: file
    }).then(function (r) {
      if (r.ok) { window.location.reload(); return; }
      return r.json().then(function (p) {
        var msg = (p.errors && p.errors[0] && p.errors[0].message) || p.detail || p.title;
        window.alert(input.dataset.error + ": " + msg);
      });
    }).catch(function () { window.alert(input.dataset.error); });
  });
})();

// The room-status grid: the arrow keys move between nights (left, right) and rooms (up,
// down); every cell is a link or a focusable mark, so Tab and Enter work without this.
(function () {
  var grid = document.querySelector("[data-room-grid]");
  if (!grid) return;
  grid.addEventListener("keydown", function (e) {
    var moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    var m = moves[e.key];
    var td = e.target.closest("td");
    if (!m || !td || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    var tr = td.parentElement;
    var rows = grid.tBodies[0].rows;
    var r = Array.prototype.indexOf.call(rows, tr) + m[0];
    var col = td.cellIndex + m[1];
    if (r < 0 || r >= rows.length || col < 1 || col >= rows[r].cells.length) return;
    var next = rows[r].cells[col].querySelector("a, [tabindex]");
    if (next) { e.preventDefault(); next.focus(); }
  });
  // A print button (the manual-handling list): the browser's own print dialog.
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-print]");
    if (b) { e.preventDefault(); window.print(); }
  });
})();
