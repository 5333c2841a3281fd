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
})();
