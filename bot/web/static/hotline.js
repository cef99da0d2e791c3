/* The 12345 operator's panel: draws the call pushed by the server (Server-Sent Events), copies
   the suggested reply, keeps the operator's own edits of the work order when new suggestions
   arrive, and sends the operator's decision with fetch(). Text from the server is always
   inserted as text, never as HTML. */
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
    answeredForm.reset();
    form.querySelectorAll("[data-dirty]").forEach(function (el) { el.removeAttribute("data-dirty"); });
  }

  function fillForm(order) {
    FIELDS.forEach(function (name) {
      var input = form.elements[name];
      if (!input || input.getAttribute("data-dirty")) { return; }
      var value = order[name === "region" ? "region_name" : name];
      input.value = value === null || value === undefined ? "" : value;
    });
    var group = byId("wo-programs");
    if (!group.getAttribute("data-dirty")) {
      group.querySelectorAll("input[name=programs]").forEach(function (box) {
        box.checked = (order.programs || []).indexOf(box.value) >= 0;
      });
    }
    var phone = form.elements.callback_phone.value;
    byId("phone-note").textContent = phone && !/^1[3-9]\d{9}$/.test(phone) ? "回拨电话不是11位手机号，请核对。" : "";
  }

  /* ---- drawing the call ---- */

  function drawTranscript(lines) {
    var list = byId("transcript");
    var atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 20;
    clear(list);
    lines.forEach(function (line) {
      var item = add(list, "li", null, "msg " + (line.speaker === "caller" ? "in" : "out"));
      item.setAttribute("data-line-id", line.id);
      add(item, "span", line.who + " · " + line.time, "who");
      item.appendChild(document.createTextNode(line.text));
    });
    if (atBottom) { list.scrollTop = list.scrollHeight; }
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

  function drawOutcome(call) {
    var box = byId("outcome");
    var decided = Boolean(call.outcome);
    box.hidden = !decided;
    if (decided) {
      var text = "处理结果：" + call.outcome_name;
      if (call.application_number) { text += "，受理编号 " + call.application_number; }
      if (call.ticket_id) { text += "，人工会话 R" + call.ticket_id; }
      if (call.outcome_note) { text += "（" + call.outcome_note + "）"; }
      if (call.closed_by) { text += " · " + call.closed_by; }
      box.textContent = text;
    }
    form.querySelectorAll("button").forEach(function (b) { b.disabled = decided; });
    answeredForm.querySelector("button").disabled = decided;
  }

  function draw(data) {
    var call = data.call;
    if (shownCall !== call.call_id) {
      if (shownCall !== null && !fixedCall && shown && !shown.call.outcome && form.querySelector("[data-dirty]")) {
        message("新的来电已接入。上一通来电 " + shownCall + " 的工单还没有处理，可在“12345来电”列表中找到。", "error");
      }
      resetForm();
      shownCall = call.call_id;
    }
    shown = data;
    byId("no-call").hidden = true;
    byId("call-panel").hidden = false;
    byId("call-status").textContent = call.status_name;
    byId("call-status").className = "status big " + call.status;
    byId("call-meta").textContent = "来电 " + call.call_id + " · 开始于 " + call.started +
      (call.ended ? " · 挂断于 " + call.ended : "") + (call.caller_number ? " · 来电号码 " + call.caller_number : "");
    drawTranscript(data.transcript);
    var s = data.suggestions;
    if (s) {
      drawTopic(s);
      byId("reply").textContent = s.reply;
      drawPolicies(s.policies, s.region);
      drawFacts(s.facts, s.corrections);
      drawScreening(s.screening);
      fillForm(s.work_order);
    }
    drawOutcome(call);
  }

  function noCall() {
    shownCall = null;
    shown = null;
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
        if (result.data.field && form.elements[result.data.field]) { form.elements[result.data.field].focus(); }
        return;
      }
      message(result.data.message, "ok");
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
  answeredForm.addEventListener("submit", function (event) {
    event.preventDefault();
    send("answered", answeredForm, byId("btn-answered"));
  });
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
