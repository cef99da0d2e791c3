/* The 12345 operator's panel: draws the call pushed by the server (Server-Sent Events) with the
   caller's masked number and a call timer, keeps the transcript on the newest words (unless the
   operator scrolled back), copies the suggested reply, keeps the operator's own edits of the work
   order when new suggestions arrive and shows what else was heard, flags a bad ID number and a
   乡镇 the gazetteer does not know, and sends the operator's decision with fetch(), showing the
   受理编号 beside the buttons. Once decided, the work order and the reply stay as they were.
   Text from the server is always inserted as text, never as HTML. */
(function () {
  "use strict";
  var body = document.body;
  var eventsUrl = body.getAttribute("data-events");
  var csrf = body.getAttribute("data-csrf");
  var fixedCall = body.getAttribute("data-call");
  var form = document.getElementById("work-order");
  var answeredForm = document.getElementById("answered-form");
  var shownCall = null;   // the call id drawn now
  var shown = null;       // the last payload drawn
  var timer = null;       // the call timer's interval
  var FIELDS = ["caller_name", "callback_phone", "id_number", "region", "district", "address",
                "category", "urgency", "summary"];

  function byId(id) { return document.getElementById(id); }

  function clear(el) { while (el.firstChild) { el.removeChild(el.firstChild); } }

  function add(parent, tag, text, className) {
    var el = document.createElement(tag);
    if (text !== undefined && text !== null) { el.textContent = text; }
    if (className) { el.className = className; }
    parent.appendChild(el);
    return el;
  }

  function setLive(text, ok) {
    var el = byId("live-state");
    el.textContent = text;
    el.className = "live-state " + (ok ? "ok" : "down");
  }

  function message(text, kind) {
    var box = byId("panel-message");
    box.textContent = text;
    box.className = "flash flash-" + (kind || "ok");
    box.hidden = !text;
  }

  /* ---- the work order form: the operator's edits win ---- */

  function markDirty(event) {
    var target = event.target;
    if (target.name === "programs") { byId("wo-programs").setAttribute("data-dirty", "1"); }
    else if (target.name) { target.setAttribute("data-dirty", "1"); }
  }

  function resetForm() {
    form.reset();
    byId("answered-note").value = "";
    form.querySelectorAll("[data-dirty]").forEach(function (el) { el.removeAttribute("data-dirty"); });
    form.querySelectorAll("input, select, textarea").forEach(function (el) { el.disabled = false; });
  }

  function suggestedValue(order, name) {
    var value = order[name === "region" ? "region_name" : name];
    return value === null || value === undefined ? "" : String(value);
  }

  /* A field the operator edited keeps the operator's text; what was heard, if different, is shown
     under it with a button to take it. */
  function showHeard(name, input, heardValue) {
    var note = form.querySelector('[data-heard="' + name + '"]');
    if (!note) { return; }
    var differs = input.getAttribute("data-dirty") && heardValue && heardValue !== input.value;
    note.hidden = !differs;
    if (!differs) { return; }
    clear(note);
    note.appendChild(document.createTextNode("系统听到：" + heardValue + " "));
    var take = document.createElement("button");
    take.type = "button";
    take.className = "small";
    take.textContent = "采用";
    take.addEventListener("click", function () {
      input.value = heardValue;
      input.removeAttribute("data-dirty");
      note.hidden = true;
    });
    note.appendChild(take);
  }

  function flagChecks(order) {
    var idNote = byId("id-note");
    var idInput = form.elements.id_number;
    var idBad = Boolean(order.id_problem) && !idInput.getAttribute("data-dirty");
    idNote.textContent = idBad ? "听到的身份证号有误：" + order.id_problem : "";
    idInput.classList.toggle("invalid", idBad);
    var check = order.district_check;
    var doubtful = Boolean(check) && (check.status === "unknown" || check.status === "elsewhere")
      && !form.elements.district.getAttribute("data-dirty");
    byId("district-note").textContent = doubtful ? check.message : "";
    form.elements.district.classList.toggle("invalid", doubtful);
    byId("district-confirm").hidden = !doubtful;
  }

  function fillForm(order) {
    FIELDS.forEach(function (name) {
      var input = form.elements[name];
      if (!input) { return; }
      var value = suggestedValue(order, name);
      if (!input.getAttribute("data-dirty")) { input.value = value; }
      showHeard(name, input, value);
    });
    var group = byId("wo-programs");
    if (!group.getAttribute("data-dirty")) {
      group.querySelectorAll("input[name=programs]").forEach(function (box) {
        box.checked = (order.programs || []).indexOf(box.value) >= 0;
      });
    }
    var phone = form.elements.callback_phone.value;
    byId("phone-note").textContent = phone && !/^1[3-9]\d{9}$/.test(phone) && phone.indexOf("*") < 0
      ? "回拨电话不是11位手机号，请核对。" : "";
    flagChecks(order);
  }

  /* The work order as decided: shown as it was registered, no longer editable. */
  function fillDecided(decided) {
    FIELDS.forEach(function (name) {
      var input = form.elements[name];
      if (input && decided[name] !== undefined) { input.value = decided[name] || ""; }
    });
    byId("wo-programs").querySelectorAll("input[name=programs]").forEach(function (box) {
      box.checked = (decided.programs || []).indexOf(box.value) >= 0;
    });
    form.querySelectorAll(".order-fields input, .order-fields select, .order-fields textarea")
      .forEach(function (el) { el.disabled = true; });
    form.querySelectorAll(".heard").forEach(function (el) { el.hidden = true; });
    ["id-note", "district-note", "phone-note"].forEach(function (id) { byId(id).textContent = ""; });
    form.querySelectorAll(".invalid").forEach(function (el) { el.classList.remove("invalid"); });
    byId("district-confirm").hidden = true;
  }

  /* ---- drawing the call ---- */

  function atBottom(list) {
    return list.scrollTop + list.clientHeight >= list.scrollHeight - 30;
  }

  function drawTranscript(lines) {
    var list = byId("transcript");
    var follow = list.getAttribute("data-follow") !== "0";
    var before = list.children.length;
    clear(list);
    lines.forEach(function (line) {
      var item = add(list, "li", null, "msg " + (line.speaker === "caller" ? "in" : "out"));
      item.setAttribute("data-line-id", line.id);
      add(item, "span", line.who + " · " + line.time, "who");
      item.appendChild(document.createTextNode(line.text));
    });
    if (follow) { list.scrollTop = list.scrollHeight; }
    byId("follow-newest").hidden = follow || lines.length === before;
  }

  function followNewest() {
    var list = byId("transcript");
    list.setAttribute("data-follow", "1");
    list.scrollTop = list.scrollHeight;
    byId("follow-newest").hidden = true;
  }

  function drawTopic(s) {
    byId("topic-category").textContent = s.topic.category_name;
    byId("topic-urgent").hidden = !s.topic.urgent;
    byId("topic-programs").textContent = s.topic.programs.map(function (p) { return p.name; }).join("、") || "（未说明救助项目）";
    byId("topic-question").textContent = s.topic.question ? "来电人问：" + s.topic.question : "";
    byId("region-line").textContent = s.region
      ? "所在地区：" + s.region.display + (s.region.covered ? "" : "（不在本助手收录范围）")
      : "所在地区：还不知道";
  }

  function drawPolicies(policies, region) {
    var list = byId("policies");
    clear(list);
    policies.forEach(function (p) {
      var item = add(list, "li");
      add(item, "p", p.citation, "citation");
      add(item, "blockquote", p.quote);
      if (p.note) { add(item, "p", p.note, "policy-note"); }
      add(item, "p", "适用地区：" + p.region_name + (p.valid_until ? "；有效期至 " + p.valid_until : ""), "hint");
    });
    var none = byId("no-policies");
    none.hidden = policies.length > 0;
    none.textContent = region && !region.covered ? "所在地区不在收录范围，没有可引用的政策。" : "还没有找到相关政策。";
  }

  function drawFacts(facts, corrections) {
    var list = byId("facts");
    clear(list);
    facts.forEach(function (fact) {
      var row = add(list, "div", null, "fact");
      row.setAttribute("data-path", fact.path);
      add(row, "dt", fact.label);
      add(row, "dd", fact.text);
    });
    byId("no-facts").hidden = facts.length > 0;
    var fixes = byId("corrections");
    clear(fixes);
    corrections.forEach(function (c) {
      add(fixes, "li", "已更正 " + c.label + "：" + c.from + " → " + c.to);
    });
  }

  function drawScreening(screening) {
    var list = byId("screening");
    clear(list);
    (screening.programs || []).filter(function (p) { return p.outcome !== "ineligible" || p.asked; })
      .forEach(function (p) {
        var item = add(list, "li", null, "outcome-" + p.outcome);
        add(item, "strong", p.name);
        item.appendChild(document.createTextNode("：" + p.outcome_name + (p.amount ? "（" + p.amount + "）" : "")));
      });
    byId("screening-note").textContent = screening.note || "";
    byId("next-question").textContent = screening.next_question ? screening.next_question.text : "暂时没有需要补问的情况。";
  }

  function drawOutcome(call, suggestions) {
    var box = byId("outcome");
    var decided = Boolean(call.outcome);
    box.hidden = !decided;
    if (decided) {
      clear(box);
      add(box, "span", "处理结果：" + call.outcome_name, "outcome-name");
      if (call.application_number) { add(box, "strong", "受理编号 " + call.application_number, "number"); }
      if (call.ticket_id) { add(box, "strong", "人工会话 R" + call.ticket_id, "number"); }
      var rest = (call.outcome_note ? "（" + call.outcome_note + "）" : "") + (call.closed_by ? " · " + call.closed_by : "");
      if (rest) { add(box, "span", rest, "hint"); }
      if (suggestions && suggestions.decided) { fillDecided(suggestions.decided); }
    }
    byId("decision-buttons").hidden = decided;
    byId("decision-buttons").querySelectorAll("button").forEach(function (b) { b.disabled = decided; });
    byId("answered-note").hidden = decided;
    byId("reply-frozen").hidden = !decided;
    byId("summary-frozen").hidden = !decided;
  }

  function draw(data) {
    var call = data.call;
    if (shownCall !== call.call_id) {
      if (shownCall !== null && !fixedCall && shown && !shown.call.outcome && form.querySelector("[data-dirty]")) {
        message("新的来电已接入。上一通来电 " + shownCall + " 的工单还没有处理，可在“12345来电”列表中找到。", "error");
      }
      resetForm();
      byId("transcript").setAttribute("data-follow", "1");
      shownCall = call.call_id;
    }
    shown = data;
    byId("no-call").hidden = true;
    byId("call-panel").hidden = false;
    byId("call-status").textContent = call.status_name;
    byId("call-status").className = "status big " + call.status;
    byId("caller-number").textContent = call.caller_number || "未显示";
    byId("call-meta").textContent = "来电 " + call.call_id + " · 开始于 " + call.started +
      (call.ended ? " · 挂断于 " + call.ended : "");
    startTimer(call);
    drawTranscript(data.transcript);
    var s = data.suggestions;
    if (s) {
      drawTopic(s);
      byId("reply").textContent = s.reply;
      drawPolicies(s.policies, s.region);
      drawFacts(s.facts, s.corrections);
      drawScreening(s.screening);
      if (!call.outcome) { fillForm(s.work_order); }
    }
    drawOutcome(call, s);
  }

  /* ---- the call timer ---- */

  function two(n) { return (n < 10 ? "0" : "") + n; }

  function showElapsed(call) {
    var end = call.ended_ts || Date.now() / 1000;
    var seconds = Math.max(0, Math.floor(end - call.started_ts));
    var text = two(Math.floor(seconds / 60)) + ":" + two(seconds % 60);
    if (seconds >= 3600) { text = Math.floor(seconds / 3600) + ":" + two(Math.floor(seconds / 60) % 60) + ":" + two(seconds % 60); }
    byId("call-timer").textContent = text;
  }

  function startTimer(call) {
    if (timer !== null) { window.clearInterval(timer); timer = null; }
    if (!call.started_ts) { return; }
    showElapsed(call);
    if (!call.ended_ts) { timer = window.setInterval(function () { showElapsed(call); }, 1000); }
  }

  function noCall() {
    shownCall = null;
    shown = null;
    if (timer !== null) { window.clearInterval(timer); timer = null; }
    byId("call-panel").hidden = true;
    byId("no-call").hidden = false;
    byId("call-status").textContent = "空闲";
  }

  /* ---- copying ---- */

  function copied(id) {
    var note = byId("copied-" + id);
    note.hidden = false;
    window.setTimeout(function () { note.hidden = true; }, 2000);
  }

  function copy(event) {
    var id = event.currentTarget.getAttribute("data-copy");
    var text = byId(id).textContent;
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { copied(id); }, function () { copyBySelection(id); });
    } else {
      copyBySelection(id);
    }
  }

  function copyBySelection(id) {
    var area = document.createElement("textarea");
    area.value = byId(id).textContent;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (err) { ok = false; }
    document.body.removeChild(area);
    if (ok) { copied(id); } else { message("无法自动复制，请手动选中答复文字复制。", "error"); }
  }

  /* ---- the decision ---- */

  /* The answer of a decision, where the operator is looking: beside the buttons. */
  function showDecided(answer) {
    var box = byId("outcome");
    clear(box);
    add(box, "span", answer.message, "outcome-name");
    if (answer.number) { add(box, "strong", "受理编号 " + answer.number, "number"); }
    if (answer.ticket) { add(box, "strong", "人工会话 R" + answer.ticket, "number"); }
    box.hidden = false;
    byId("decision-buttons").hidden = true;
  }

  function send(action, sourceForm, button) {
    if (!shownCall) { return; }
    var data = new URLSearchParams(new FormData(sourceForm));
    data.delete("csrf_token");
    button.disabled = true;
    message("", "ok");
    fetch("/console/hotline/calls/" + encodeURIComponent(shownCall) + "/" + action, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRF-Token": csrf},
      body: data
    }).then(function (resp) {
      if (resp.status === 401) { window.location.href = "/console/login"; return null; }
      return resp.json().then(function (result) { return {ok: resp.ok, data: result}; });
    }).then(function (result) {
      if (!result) { return; }
      if (!result.ok) {
        message(result.data.error || "操作没有成功，请稍后再试。", "error");
        if (result.data.field === "district") { byId("district-confirm").hidden = false; }
        if (result.data.field && form.elements[result.data.field]) { form.elements[result.data.field].focus(); }
        return;
      }
      message(result.data.message, "ok");
      showDecided(result.data);
    }).catch(function () {
      message("网络中断，操作没有发出，请稍后再试。", "error");
    }).then(function () {
      button.disabled = Boolean(shown && shown.call.outcome);
    });
  }

  form.addEventListener("input", markDirty);
  form.addEventListener("change", markDirty);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = event.submitter || byId("btn-application");
    send(button.getAttribute("data-action"), form, button);
  });
  byId("btn-answered").addEventListener("click", function () {
    send("answered", answeredForm, byId("btn-answered"));
  });
  byId("transcript").addEventListener("scroll", function (event) {
    var list = event.target;
    list.setAttribute("data-follow", atBottom(list) ? "1" : "0");
    if (atBottom(list)) { byId("follow-newest").hidden = true; }
  });
  byId("follow-newest").addEventListener("click", followNewest);
  document.querySelectorAll("[data-copy]").forEach(function (button) { button.addEventListener("click", copy); });

  /* ---- the stream ---- */

  var source = new EventSource(eventsUrl);
  source.addEventListener("open", function () { setLive("实时更新中", true); });
  source.addEventListener("error", function () { setLive("连接中断，正在重新连接…", false); });
  source.addEventListener("call", function (e) { draw(JSON.parse(e.data)); setLive("实时更新中", true); });
  source.addEventListener("none", function () { noCall(); setLive("实时更新中，等待来电", true); });
  source.addEventListener("gone", function (e) {
    message(JSON.parse(e.data).message, "error");
    source.close();
  });
})();
