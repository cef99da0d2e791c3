/* Live updates of the staff console: polls /console/api/updates every few seconds and updates
   the queue badges, adds new hand-offs to the list, shows a notice for them on every page, and
   appends a ticket's new messages. Replies on a ticket page are sent with fetch(). Text from the
   server is always inserted as text, never as HTML. */
(function () {
  "use strict";
  var POLL_MS = 4000;
  var body = document.body;
  var updatesUrl = body.getAttribute("data-updates");
  var csrf = body.getAttribute("data-csrf");
  var ticketId = body.getAttribute("data-ticket");
  var ticketTable = document.getElementById("ticket-table");
  var messageList = document.getElementById("messages");
  var knownTicket = null;  // the latest hand-off id seen; null until the first answer
  var timer = null;

  function numberAttr(el, name) {
    return el ? parseInt(el.getAttribute(name) || "0", 10) : 0;
  }

  function setBadges(data) {
    ["waiting", "new_applications", "overdue"].forEach(function (key) {
      document.querySelectorAll('[data-count="' + key + '"]').forEach(function (badge) {
        badge.textContent = String(data[key]);
        badge.hidden = !data[key];
      });
    });
  }

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function addTicketRow(ticket) {
    var tbody = document.getElementById("ticket-rows");
    if (tbody.querySelector('[data-ticket-id="' + ticket.id + '"]')) { return; }
    var row = document.createElement("tr");
    row.setAttribute("data-ticket-id", ticket.id);
    row.className = "fresh";
    var link = document.createElement("a");
    link.href = ticket.url;
    link.textContent = "R" + ticket.id;
    cell(row, "").appendChild(link);
    [ticket.created, ticket.channel, ticket.reason, ticket.district, ticket.status, ticket.assignee]
      .forEach(function (text) { cell(row, text); });
    cell(row, ticket.preview).className = "preview";
    tbody.appendChild(row);
    document.getElementById("no-tickets").hidden = true;
    ticketTable.setAttribute("data-after-ticket", String(Math.max(ticket.id, numberAttr(ticketTable, "data-after-ticket"))));
  }

  function notify(ticket) {
    var box = document.getElementById("live-notice");
    var link = document.createElement("a");
    link.href = ticket.url;
    link.textContent = "新的人工会话 R" + ticket.id + "（" + ticket.channel + "，" + ticket.district + "）";
    box.appendChild(link);
  }

  function addMessage(message) {
    if (messageList.querySelector('[data-message-id="' + message.id + '"]')) { return; }
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
    item.scrollIntoView({block: "nearest"});
  }

  function query() {
    var params = new URLSearchParams();
    params.set("after_ticket", String(ticketTable ? numberAttr(ticketTable, "data-after-ticket") : (knownTicket || 0)));
    if (ticketId && messageList) {
      params.set("ticket", ticketId);
      params.set("after_message", String(numberAttr(messageList, "data-after-message")));
    }
    return updatesUrl + "?" + params.toString();
  }

  function apply(data) {
    setBadges(data);
    if (ticketTable) {
      data.tickets.forEach(addTicketRow);
    } else if (knownTicket !== null) {
      data.tickets.filter(function (t) { return t.id > knownTicket; }).forEach(notify);
    }
    knownTicket = Math.max(knownTicket || 0, data.latest_ticket);
    if (data.messages && messageList) { data.messages.forEach(addMessage); }
    if (data.ticket_status) { document.getElementById("ticket-status").textContent = data.ticket_status; }
  }

  function poll() {
    timer = null;
    fetch(query(), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (resp) {
        if (resp.status === 401) { window.location.href = "/console/login"; return null; }
        return resp.ok ? resp.json() : null;
      })
      .then(function (data) { if (data) { apply(data); } })
      .catch(function () { /* offline for a moment: the next poll tries again */ })
      .then(schedule);
  }

  function schedule() {
    if (timer === null) { timer = window.setTimeout(poll, POLL_MS); }
  }

  function pollNow() {
    if (timer !== null) { window.clearTimeout(timer); }
    poll();
  }

  function sendReply(event) {
    event.preventDefault();
    var form = event.target;
    var box = form.querySelector("textarea");
    var error = document.getElementById("reply-error");
    var button = form.querySelector("button");
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
      pollNow();
    });
  }

  if (!updatesUrl) { return; }
  var replyForm = document.getElementById("reply-form");
  if (replyForm) { replyForm.addEventListener("submit", sendReply); }
  poll();
})();
