/* The staff console in the browser.
   - Live updates by Server-Sent Events (/console/api/stream): queue badges, unread hand-offs, the
     tab title, new hand-offs in the list and a notice on every other page, a ticket's new messages;
     an optional sound (off until the user turns it on; remembered in this browser).
   - Replies on a ticket page are sent with fetch(); Ctrl+Enter sends.
   - Keyboard shortcuts (? lists them), row selection and bulk actions on the lists, canned replies,
     the fields of the 办结 decision.
   Text from the server is always inserted as text, never as HTML. */
(function () {
  "use strict";
  var body = document.body;
  var streamUrl = body.getAttribute("data-stream");
  var csrf = body.getAttribute("data-csrf");
  var ticketId = body.getAttribute("data-ticket");
  var ticketTable = document.getElementById("ticket-table");
  var messageList = document.getElementById("messages");
  var baseTitle = document.title;
  var knownTicket = null;  // the latest hand-off id seen; null until the first update
  var knownUnread = null;  // ticket id → unread count at the last update
  var SOUND_KEY = "console-sound";

  function byId(id) { return document.getElementById(id); }

  function numberAttr(el, name) {
    return el ? parseInt(el.getAttribute(name) || "0", 10) : 0;
  }

  /* ---- badges, tab title, sound ---- */

  function setBadges(data) {
    ["waiting", "new_applications", "overdue", "unread"].forEach(function (key) {
      document.querySelectorAll('[data-count="' + key + '"]').forEach(function (badge) {
        badge.textContent = String(data[key]);
        badge.hidden = !data[key];
      });
    });
    var attention = data.waiting + data.unread;
    document.title = (attention ? "(" + attention + ") " : "") + baseTitle;
  }

  function soundOn() {
    try { return window.localStorage.getItem(SOUND_KEY) === "1"; } catch (err) { return false; }
  }

  function showSound() {
    var button = byId("sound-toggle");
    if (!button) { return; }
    button.textContent = "提示音：" + (soundOn() ? "开" : "关");
    button.setAttribute("aria-pressed", soundOn() ? "true" : "false");
  }

  function toggleSound() {
    try { window.localStorage.setItem(SOUND_KEY, soundOn() ? "0" : "1"); } catch (err) { /* private mode */ }
    showSound();
    if (soundOn()) { beep(); }
  }

  function beep() {
    if (!soundOn()) { return; }
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return; }
    try {
      var context = new Context();
      var tone = context.createOscillator();
      var gain = context.createGain();
      tone.frequency.value = 880;
      gain.gain.value = 0.08;
      tone.connect(gain);
      gain.connect(context.destination);
      tone.start();
      tone.stop(context.currentTime + 0.18);
      body.setAttribute("data-beeps", String(numberAttr(body, "data-beeps") + 1));
    } catch (err) { /* no audio device */ }
  }

  /* ---- hand-off list and notices ---- */

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function addTicketRow(ticket) {
    var tbody = byId("ticket-rows");
    if (tbody.querySelector('[data-ticket-id="' + ticket.id + '"]')) { return; }
    var row = document.createElement("tr");
    row.setAttribute("data-ticket-id", ticket.id);
    row.setAttribute("data-href", ticket.url);
    row.className = "fresh";
    var link = document.createElement("a");
    link.href = ticket.url;
    link.textContent = "R" + ticket.id;
    var first = cell(row, "");
    first.appendChild(link);
    var mark = document.createElement("span");
    mark.className = "unread-mark";
    mark.hidden = true;
    first.appendChild(mark);
    [ticket.created, ticket.channel, ticket.reason, ticket.district, ticket.status, ticket.assignee]
      .forEach(function (text) { cell(row, text); });
    cell(row, ticket.preview).className = "preview";
    tbody.appendChild(row);
    byId("no-tickets").hidden = true;
    ticketTable.setAttribute("data-after-ticket", String(Math.max(ticket.id, numberAttr(ticketTable, "data-after-ticket"))));
  }

  function markUnread(unreadTickets) {
    if (!ticketTable) { return; }
    ticketTable.querySelectorAll("tr[data-ticket-id]").forEach(function (row) {
      var count = unreadTickets[row.getAttribute("data-ticket-id")] || 0;
      var mark = row.querySelector(".unread-mark");
      row.classList.toggle("unread", count > 0);
      if (mark) { mark.textContent = count ? count + " 条未读" : ""; mark.hidden = !count; }
    });
  }

  function notify(text, url) {
    var box = byId("live-notice");
    var link = document.createElement("a");
    link.href = url;
    link.textContent = text;
    box.appendChild(link);
  }

  function addMessage(message) {
    if (!messageList || messageList.querySelector('[data-message-id="' + message.id + '"]')) { return; }
    var item = document.createElement("li");
    item.className = "msg " + message.direction;
    item.setAttribute("data-message-id", message.id);
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = message.author + " · " + message.time;
    item.appendChild(who);
    item.appendChild(document.createTextNode(message.text));
    messageList.appendChild(item);
    messageList.setAttribute("data-after-message", String(Math.max(message.id, numberAttr(messageList, "data-after-message"))));
    var pane = byId("conversation-pane");
    if (pane) { pane.scrollTop = pane.scrollHeight; } else { item.scrollIntoView({block: "nearest"}); }
  }

  function newUnread(data) {
    var fresh = false;
    Object.keys(data.unread_tickets).forEach(function (id) {
      if (knownUnread !== null && (data.unread_tickets[id] || 0) > (knownUnread[id] || 0)) {
        fresh = true;
        if (!ticketTable && String(id) !== String(ticketId)) { notify("人工会话 R" + id + " 有居民新消息", "/console/tickets/" + id); }
      }
    });
    knownUnread = data.unread_tickets;
    return fresh;
  }

  function apply(data) {
    setBadges(data);
    var ring = newUnread(data);
    if (ticketTable) {
      data.tickets.forEach(addTicketRow);
      markUnread(data.unread_tickets);
      ring = ring || (knownTicket !== null && data.latest_ticket > knownTicket);
    } else if (knownTicket !== null) {
      data.tickets.filter(function (t) { return t.id > knownTicket; }).forEach(function (t) {
        notify("新的人工会话 R" + t.id + "（" + t.channel + "，" + t.district + "）", t.url);
        ring = true;
      });
    }
    knownTicket = Math.max(knownTicket || 0, data.latest_ticket);
    if (data.messages && data.messages.length) {
      data.messages.forEach(addMessage);
      ring = ring || data.messages.some(function (m) { return m.direction === "in"; });
    }
    if (data.ticket_status) { byId("ticket-status").textContent = data.ticket_status; }
    if (ring) { beep(); }
    body.setAttribute("data-live", "on");
  }

  function streamQuery() {
    var params = new URLSearchParams();
    params.set("after_ticket", String(ticketTable ? numberAttr(ticketTable, "data-after-ticket") : 0));
    if (ticketId && messageList) {
      params.set("ticket", ticketId);
      params.set("after_message", String(numberAttr(messageList, "data-after-message")));
    }
    return streamUrl + "?" + params.toString();
  }

  function listen() {
    var source = new EventSource(streamQuery());
    source.addEventListener("update", function (e) { apply(JSON.parse(e.data)); });
    source.addEventListener("gone", function () { source.close(); });
    source.addEventListener("error", function () {
      body.setAttribute("data-live", "off");
      if (source.readyState === EventSource.CLOSED) {  // e.g. the session ended
        source.close();
        window.setTimeout(listen, 5000);
      }
    });
  }

  /* ---- replies ---- */

  function sendReply(event) {
    event.preventDefault();
    var form = event.target;
    var box = form.querySelector("textarea");
    var error = byId("reply-error");
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    error.hidden = true;
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRF-Token": csrf},
      body: new URLSearchParams({text: box.value})
    }).then(function (resp) {
      return resp.json().then(function (data) { return {ok: resp.ok, data: data}; });
    }).then(function (result) {
      if (!result.ok) { throw new Error(result.data.error || "发送失败，请稍后再试。"); }
      box.value = "";
      addMessage(result.data.message);
    }).catch(function (err) {
      error.textContent = err.message || "发送失败，请稍后再试。";
      error.hidden = false;
    }).then(function () {
      button.disabled = false;
    });
  }

  function insertCanned(event) {
    var select = event.target;
    var target = byId(select.getAttribute("data-target"));
    if (!select.value || !target) { return; }
    target.value = target.value ? target.value + "\n" + select.value : select.value;
    select.value = "";
    target.focus();
  }

  /* ---- lists: the current row, selection, bulk actions ---- */

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("tr[data-href]"));
  }

  function currentRow() { return document.querySelector("tr[data-href].current"); }

  function moveRow(step) {
    var all = rows();
    if (!all.length) { return; }
    var index = all.indexOf(currentRow());
    var next = all[Math.min(Math.max(index + step, 0), all.length - 1)];
    all.forEach(function (row) { row.classList.remove("current"); });
    next.classList.add("current");
    next.scrollIntoView({block: "nearest"});
  }

  function pickedCount() {
    var picked = document.querySelectorAll("#bulk-form input[name=pick]:checked").length;
    var label = byId("picked-count");
    if (label) { label.textContent = picked ? "已选 " + picked + " 件" : "未选"; }
    var submit = byId("bulk-submit");
    if (submit) { submit.disabled = picked === 0; }
  }

  function bulkSetup() {
    var form = byId("bulk-form");
    if (!form) { return; }
    form.addEventListener("change", function (event) {
      if (event.target.id === "pick-all") {
        form.querySelectorAll("input[name=pick]").forEach(function (box) { box.checked = event.target.checked; });
      }
      var assignee = byId("bulk-assignee");
      if (assignee) { assignee.hidden = byId("bulk-action").value !== "assign"; }
      pickedCount();
    });
    var assignee = byId("bulk-assignee");
    if (assignee) { assignee.hidden = true; }
    pickedCount();
  }

  /* ---- the 办结 decision: show the fields the chosen decision needs ---- */

  function decisionSetup() {
    var box = byId("decision");
    if (!box) { return; }
    var form = box.closest("form");
    function show() {
      var kind = (form.querySelector("input[name=decision]:checked") || {}).value;
      form.querySelectorAll(".approved-only").forEach(function (el) { el.hidden = kind !== "approved"; });
      form.querySelectorAll(".referred-only").forEach(function (el) { el.hidden = kind !== "referred"; });
      var amount = form.querySelector("input[name=amount]");
      if (amount) { amount.required = kind === "approved"; }
    }
    box.addEventListener("change", show);
    show();
  }

  /* ---- keyboard shortcuts ---- */

  var pendingG = false;
  var GO = {n: "/console/queue/new", m: "/console/queue/mine", h: "/console/handoffs", a: "/console/queue/all",
            d: "/console/due"};

  function typing(target) {
    return target && (/^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || target.isContentEditable);
  }

  function toggleHelp(show) {
    var help = byId("shortcut-help");
    if (!help) { return; }
    help.hidden = show === undefined ? !help.hidden : !show;
    if (!help.hidden) { byId("shortcut-close").focus(); }
  }

  function onKey(event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.id === "reply-text") {
      event.preventDefault();
      var form = event.target.closest("form");
      if (form.requestSubmit) { form.requestSubmit(); } else { form.dispatchEvent(new Event("submit", {cancelable: true})); }
      return;
    }
    if (event.key === "Escape") { toggleHelp(false); return; }
    if (typing(event.target) || event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (pendingG) {
      pendingG = false;
      if (GO[event.key]) { event.preventDefault(); window.location.href = GO[event.key]; }
      return;
    }
    var row = currentRow();
    switch (event.key) {
      case "g": pendingG = true; window.setTimeout(function () { pendingG = false; }, 1500); break;
      case "?": toggleHelp(); break;
      case "/": {
        var search = document.querySelector("[data-shortcut='/']");
        if (search) { event.preventDefault(); search.focus(); search.select(); }
        break;
      }
      case "j": moveRow(1); break;
      case "k": moveRow(-1); break;
      case "x": {
        var box = row && row.querySelector("input[name=pick]");
        if (box) { box.checked = !box.checked; pickedCount(); }
        break;
      }
      case "Enter": if (row) { window.location.href = row.getAttribute("data-href"); } break;
      case "r": {
        var reply = byId("reply-text");
        if (reply) { event.preventDefault(); reply.focus(); }
        break;
      }
      default: return;
    }
  }

  document.addEventListener("keydown", onKey);
  var close = byId("shortcut-close");
  if (close) { close.addEventListener("click", function () { toggleHelp(false); }); }
  var soundButton = byId("sound-toggle");
  if (soundButton) { soundButton.addEventListener("click", toggleSound); showSound(); }
  document.querySelectorAll("select[data-target]").forEach(function (select) { select.addEventListener("change", insertCanned); });
  var replyForm = byId("reply-form");
  if (replyForm) { replyForm.addEventListener("submit", sendReply); }
  var pane = byId("conversation-pane");
  if (pane) { pane.scrollTop = pane.scrollHeight; }
  bulkSetup();
  decisionSetup();
  if (streamUrl) { listen(); }
})();
