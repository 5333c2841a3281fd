/* tripdesk web chat widget — no build step. Put on any page of the agency's site:
 *   <script src="https://desk.example.com/chat/widget.js" defer></script>
 * (optionally data-lang="en"). It adds a "在线咨询" button; the visitor gives a name, a
 * phone and a question, then talks with an agent over a WebSocket. The chat's token stays
 * in this tab's session storage, so a reload or a dropped connection carries on where it
 * was (reconnecting from the last message number it has). */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me) { return; }
  var base = new URL(me.src, location.href).origin;
  var lang = me.getAttribute("data-lang") === "en" ? "en" : "zh-CN";
  var T = {
    "zh-CN": {
      open: "在线咨询", title: "在线咨询", close: "收起", name: "您的称呼", phone: "手机号码",
      message: "想咨询什么？", start: "开始咨询", send: "发送", end: "结束对话",
      waiting: "已为您接入，客服将在 3 分钟内回复。", active: "客服已接入。",
      ended: "对话已结束。", ticketed: "对话已转为工单，我们会尽快联系您。",
      placeholder: "输入消息…", you: "我", agent: "客服", system: "系统",
      offline: "连接中断，正在重连…", failed: "暂时无法连接，请稍后再试或拨打客服热线。"
    },
    en: {
      open: "Chat with us", title: "Chat with us", close: "Hide", name: "Your name",
      phone: "Mobile number", message: "How can we help?", start: "Start chat", send: "Send",
      end: "End chat", waiting: "You are connected; an agent will answer within 3 minutes.",
      active: "An agent has joined.", ended: "The chat has ended.",
      ticketed: "The chat became a ticket; we will contact you soon.",
      placeholder: "Type a message…", you: "Me", agent: "Agent", system: "System",
      offline: "Connection lost, reconnecting…", failed: "Cannot connect now; please try later or call our hotline."
    }
  }[lang];
  var KEY = "tripdesk-chat:" + base;
  var state = { token: null, after: 0, socket: null, tries: 0, open: false, ended: false };

  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = base + "/chat/widget.css";
  document.head.appendChild(css);

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  var button = el("button", "tdc-open", T.open);
  button.type = "button";
  var panel = el("section", "tdc-panel");
  panel.hidden = true;
  panel.setAttribute("aria-label", T.title);
  var head = el("div", "tdc-head");
  head.appendChild(el("strong", "", T.title));
  var hide = el("button", "tdc-hide", T.close);
  hide.type = "button";
  head.appendChild(hide);
  panel.appendChild(head);

  // The form: name, phone, first message; refused fields come back with their messages.
  var form = el("form", "tdc-form");
  form.noValidate = true;
  function field(name, label, kind) {
    var wrap = el("label", "tdc-field");
    wrap.appendChild(el("span", "", label));
    var input = kind === "textarea" ? el("textarea") : el("input");
    input.name = name;
    input.id = "tdc-" + name;
    if (kind !== "textarea") { input.type = kind; }
    if (kind === "textarea") { input.rows = 3; input.maxLength = 2000; }
    wrap.appendChild(input);
    var err = el("small", "tdc-error");
    err.id = "tdc-" + name + "-error";
    wrap.appendChild(err);
    form.appendChild(wrap);
    return input;
  }
  var nameIn = field("name", T.name, "text");
  var phoneIn = field("phone", T.phone, "tel");
  var msgIn = field("message", T.message, "textarea");
  var formError = el("p", "tdc-error tdc-form-error");
  form.appendChild(formError);
  var startBtn = el("button", "tdc-primary", T.start);
  startBtn.type = "submit";
  form.appendChild(startBtn);
  panel.appendChild(form);

  // The conversation.
  var talk = el("div", "tdc-talk");
  talk.hidden = true;
  var notice = el("p", "tdc-notice");
  notice.setAttribute("role", "status");
  var log = el("ol", "tdc-log");
  log.setAttribute("aria-live", "polite");
  var say = el("form", "tdc-say");
  var sayIn = el("textarea");
  sayIn.rows = 2;
  sayIn.maxLength = 2000;
  sayIn.placeholder = T.placeholder;
  sayIn.id = "tdc-say";
  var sendBtn = el("button", "tdc-primary", T.send);
  sendBtn.type = "submit";
  var endBtn = el("button", "tdc-end", T.end);
  endBtn.type = "button";
  say.appendChild(sayIn);
  say.appendChild(sendBtn);
  say.appendChild(endBtn);
  talk.appendChild(notice);
  talk.appendChild(log);
  talk.appendChild(say);
  panel.appendChild(talk);

  document.body.appendChild(button);
  document.body.appendChild(panel);

  function show(open) {
    state.open = open;
    panel.hidden = !open;
    button.hidden = open;
  }
  button.addEventListener("click", function () { show(true); (state.token ? sayIn : nameIn).focus(); });
  hide.addEventListener("click", function () { show(false); });

  function addLine(m) {
    var li = el("li", "tdc-line tdc-" + m.author);
    var who = m.author === "visitor" ? T.you : (m.author === "agent" ? T.agent : T.system);
    var meta = el("span", "tdc-meta", who + " · " + m.at);
    li.appendChild(meta);
    li.appendChild(el("p", "tdc-text", m.text));
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }

  function setState(s) {
    notice.textContent = T[s] || "";
    state.ended = s === "ended" || s === "ticketed";
    say.hidden = state.ended;
    if (state.ended) { sessionStorage.removeItem(KEY); }
  }

  function connect() {
    var url = base.replace(/^http/, "ws") + "/chat/ws?token=" + encodeURIComponent(state.token) +
      "&after=" + state.after + "&lang=" + lang;
    var ws = new WebSocket(url);
    state.socket = ws;
    ws.onopen = function () { state.tries = 0; };
    ws.onmessage = function (ev) {
      var f = JSON.parse(ev.data);
      if (f.type === "message" && f.seq > state.after) {
        state.after = f.seq;
        sessionStorage.setItem(KEY, JSON.stringify({ token: state.token, after: 0 }));
        addLine(f);
      } else if (f.type === "state") {
        setState(f.state);
      } else if (f.type === "error") {
        notice.textContent = f.message;
      }
    };
    ws.onclose = function () {
      state.socket = null;
      if (state.ended) { return; }
      state.tries += 1;
      if (state.tries > 8) { notice.textContent = T.failed; return; }
      notice.textContent = T.offline;
      setTimeout(connect, Math.min(500 * state.tries, 5000));
    };
  }

  function begin(token) {
    state.token = token;
    form.hidden = true;
    talk.hidden = false;
    connect();
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var errs = form.querySelectorAll(".tdc-error");
    for (var i = 0; i < errs.length; i++) { errs[i].textContent = ""; }
    [nameIn, phoneIn, msgIn].forEach(function (x) { x.removeAttribute("aria-invalid"); });
    startBtn.disabled = true;
    fetch(base + "/chat/start", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: nameIn.value, phone: phoneIn.value, message: msgIn.value, lang: lang })
    }).then(function (r) {
      return r.json().then(function (body) { return { status: r.status, body: body }; });
    }).then(function (r) {
      startBtn.disabled = false;
      if (r.status === 201) {
        sessionStorage.setItem(KEY, JSON.stringify({ token: r.body.token }));
        begin(r.body.token);
        return;
      }
      (r.body.errors || []).forEach(function (e) {
        var input = document.getElementById("tdc-" + e.field);
        var where = document.getElementById("tdc-" + e.field + "-error");
        if (input) { input.setAttribute("aria-invalid", "true"); }
        (where || formError).textContent = e.message;
      });
    }).catch(function () {
      startBtn.disabled = false;
      formError.textContent = T.failed;
    });
  });

  say.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = sayIn.value.trim();
    if (!text || !state.socket || state.socket.readyState !== 1) { return; }
    state.socket.send(JSON.stringify({ type: "say", text: text }));
    sayIn.value = "";
  });
  sayIn.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      say.requestSubmit();
    }
  });
  endBtn.addEventListener("click", function () {
    if (state.socket && state.socket.readyState === 1) {
      state.socket.send(JSON.stringify({ type: "end" }));
    }
  });

  // A chat of this tab carries on after a reload.
  try {
    var kept = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (kept && kept.token) { show(true); begin(kept.token); }
  } catch (e) { sessionStorage.removeItem(KEY); }
})();
