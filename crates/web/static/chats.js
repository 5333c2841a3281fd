/* The agents' web chats (/desk/chats): the queue and several open chats, live over the
 * agent's WebSocket (/desk/chats/ws). No build step; every text comes from the page's
 * data-t-* attributes (the page's language). */
(function () {
  "use strict";
  var desk = document.getElementById("chat-desk");
  if (!desk) { return; }
  var d = desk.dataset;
  var canWork = d.canWork === "1";
  var live = document.getElementById("chat-live");
  var waitingList = document.getElementById("chat-waiting");
  var waitingN = document.getElementById("chat-waiting-n");
  var mineList = document.getElementById("chat-mine");
  var panels = document.getElementById("chat-panels");
  var templates = document.getElementById("chat-templates");
  var socket = null;
  var tries = 0;
  var open = {};      // chat id -> panel parts
  var skew = 0;       // server clock minus this clock, ms
  var waiting = [];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function send(frame) {
    if (socket && socket.readyState === 1) { socket.send(JSON.stringify(frame)); }
  }

  function left(dueMs) {
    var ms = dueMs - (Date.now() + skew);
    if (ms <= 0) { return { late: true, text: d.tLate }; }
    var s = Math.ceil(ms / 1000);
    var m = Math.floor(s / 60);
    var r = s % 60;
    return { late: false, text: d.tLeft.replace("{t}", m + ":" + (r < 10 ? "0" : "") + r) };
  }

  function renderQueue() {
    waitingList.textContent = "";
    waiting.forEach(function (c) {
      var li = el("li", "chat-item");
      li.dataset.chat = c.id;
      li.appendChild(el("strong", "", c.name));
      li.appendChild(el("span", "muted", " " + c.started));
      var clock = el("span", "chat-clock");
      if (c.due_ms) { clock.dataset.due = c.due_ms; }
      li.appendChild(clock);
      if (canWork) {
        var take = el("button", "chat-take primary", d.tTake);
        take.type = "button";
        take.addEventListener("click", function () { openChat(c.id, c.name); });
        li.appendChild(take);
      }
      waitingList.appendChild(li);
    });
    if (!waiting.length) { waitingList.appendChild(el("li", "muted", d.tNone)); }
    tick();
  }

  function tick() {
    var clocks = waitingList.querySelectorAll(".chat-clock[data-due]");
    for (var i = 0; i < clocks.length; i++) {
      var l = left(Number(clocks[i].dataset.due));
      clocks[i].textContent = l.text;
      clocks[i].classList.toggle("late", l.late);
    }
  }

  function renderMine(mine) {
    mineList.textContent = "";
    mine.forEach(function (c) {
      var li = el("li", "chat-item");
      li.appendChild(el("strong", "", c.name));
      var b = el("button", "", d.tOpen);
      b.type = "button";
      b.addEventListener("click", function () { openChat(c.id, c.name); });
      li.appendChild(b);
      mineList.appendChild(li);
    });
    if (!mine.length) { mineList.appendChild(el("li", "muted", d.tNone)); }
  }

  function openChat(id, name) {
    if (open[id]) { open[id].reply.focus(); return; }
    var panel = el("article", "chat-panel");
    panel.dataset.chat = id;
    var head = el("header", "chat-panel-head");
    head.appendChild(el("strong", "", name));
    var state = el("span", "chat-state tag");
    head.appendChild(state);
    var hide = el("button", "chat-hide", d.tHide);
    hide.type = "button";
    head.appendChild(hide);
    panel.appendChild(head);
    var log = el("ol", "chat-log");
    log.setAttribute("aria-live", "polite");
    panel.appendChild(log);
    var error = el("p", "chat-error");
    error.setAttribute("role", "alert");
    panel.appendChild(error);
    var form = el("form", "chat-reply");
    var pick = el("select", "chat-template");
    pick.setAttribute("aria-label", d.tTemplate);
    var first = el("option", "", d.tTemplate);
    first.value = "";
    pick.appendChild(first);
    pick.appendChild(templates.content.cloneNode(true));
    var reply = el("textarea");
    reply.rows = 3;
    reply.maxLength = 2000;
    reply.placeholder = d.tPlaceholder;
    reply.setAttribute("aria-label", d.tPlaceholder);
    var sendBtn = el("button", "primary", d.tSend);
    sendBtn.type = "submit";
    var endBtn = el("button", "chat-end", d.tEnd);
    endBtn.type = "button";
    form.appendChild(pick);
    form.appendChild(reply);
    form.appendChild(sendBtn);
    form.appendChild(endBtn);
    if (canWork) { panel.appendChild(form); }
    panels.appendChild(panel);
    pick.addEventListener("change", function () {
      if (!pick.value) { return; }
      // The template's placeholders: the visitor's name, the agency, the agent.
      var text = pick.value
        .replace(/\{\{\s*customer\s*\}\}/g, name)
        .replace(/\{\{\s*org\s*\}\}/g, d.org || "")
        .replace(/\{\{\s*agent\s*\}\}/g, d.agent || "");
      reply.value = reply.value ? reply.value + "\n" + text : text;
      pick.value = "";
      reply.focus();
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = reply.value.trim();
      if (!text) { return; }
      error.textContent = "";
      send({ type: "say", chat: id, text: text });
      reply.value = "";
    });
    reply.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); form.requestSubmit(); }
    });
    endBtn.addEventListener("click", function () { send({ type: "end", chat: id }); });
    hide.addEventListener("click", function () {
      send({ type: "close", chat: id });
      panel.remove();
      delete open[id];
    });
    open[id] = { panel: panel, log: log, state: state, error: error, reply: reply, form: form, after: 0 };
    send({ type: "open", chat: id });
    reply.focus();
  }

  function addLine(p, m) {
    if (m.seq <= p.after) { return; }
    p.after = m.seq;
    var li = el("li", "chat-line " + m.author);
    var who = m.author === "visitor" ? d.tVisitor : (m.author === "agent" ? d.tAgent : d.tSystem);
    li.appendChild(el("span", "chat-meta", who + " · " + m.at));
    li.appendChild(el("p", "chat-text", m.text));
    p.log.appendChild(li);
    p.log.scrollTop = p.log.scrollHeight;
  }

  function connect() {
    var url = location.origin.replace(/^http/, "ws") + "/desk/chats/ws";
    socket = new WebSocket(url);
    socket.onopen = function () {
      tries = 0;
      live.textContent = live.dataset.online;
      live.classList.add("on");
      Object.keys(open).forEach(function (id) { send({ type: "open", chat: id }); });
    };
    socket.onmessage = function (ev) {
      var f = JSON.parse(ev.data);
      if (f.type === "queue") {
        skew = f.now_ms - Date.now();
        waiting = f.waiting;
        waitingN.textContent = f.waiting_total;
        renderQueue();
        renderMine(f.mine);
      } else if (f.type === "message" && open[f.chat]) {
        addLine(open[f.chat], f);
      } else if (f.type === "state" && open[f.chat]) {
        var p = open[f.chat];
        p.state.textContent = d["tState" + f.state.charAt(0).toUpperCase() + f.state.slice(1)] || f.state;
        p.state.className = "chat-state tag " + f.state;
        p.form.hidden = f.state === "ended" || f.state === "ticketed";
      } else if (f.type === "error" && open[f.chat]) {
        open[f.chat].error.textContent = f.message;
      }
    };
    socket.onclose = function () {
      live.textContent = live.dataset.offline;
      live.classList.remove("on");
      tries += 1;
      if (tries <= 30) { setTimeout(connect, Math.min(1000 * tries, 10000)); }
    };
  }
  // The clocks tick between queue frames.
  setInterval(tick, 1000);
  connect();
})();
