// The browser counter (/petugas): presses without a reload, the counter's keys, and the live
// part over server-sent events. The page works without it (plain forms, reload every 15 s).
// No library, no build: one file of plain ES5 plus fetch.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root || !window.EventSource || !window.fetch) { return; }
  var unreachable = document.getElementById("unreachable");
  var keys = {};
  try { keys = JSON.parse(root.getAttribute("data-keys") || "{}"); } catch (e) { keys = {}; }
  var pending = null;  // the press in flight: {body: FormData}; every button is off meanwhile
  var streamUp = true;

  function newId() {
    if (window.crypto && crypto.getRandomValues) {
      var a = new Uint8Array(16), s = "";
      crypto.getRandomValues(a);
      for (var i = 0; i < a.length; i++) { s += (a[i] < 16 ? "0" : "") + a[i].toString(16); }
      return s;
    }
    return String(Date.now()) + String(Math.random()).slice(2);
  }

  function buttons() { return root.querySelectorAll("button, select"); }

  // Off while a press is pending or the web station cannot be reached; otherwise as the
  // server rendered them (its `enabled` set).
  function lock() {
    var off = pending !== null || !streamUp;
    Array.prototype.forEach.call(buttons(), function (b) {
      if (off) {
        if (!b.hasAttribute("data-locked")) {
          b.setAttribute("data-locked", b.disabled ? "was" : "");
        }
        b.disabled = true;
      } else if (b.hasAttribute("data-locked")) {
        b.disabled = b.getAttribute("data-locked") === "was";
        b.removeAttribute("data-locked");
      }
    });
    root.setAttribute("data-pending", pending ? "1" : "");
  }

  function say(text, kind) {
    if (!text) { return; }
    var line = document.getElementById("message");
    if (!line) {
      line = document.createElement("p");
      line.id = "message";
      line.setAttribute("role", "status");
      root.insertBefore(line, root.firstChild);
    }
    line.className = "message msg-" + kind;
    line.textContent = text;
  }

  function send(form, body, attempt) {
    fetch(form.getAttribute("action"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "application/json"}
    }).then(function (resp) {
      return resp.json().then(function (answer) {
        pending = null;
        say(answer.message, answer.ok ? "done" : "error");
        lock();
      });
    }, function () {
      // No answer from the web station: send the same press again (the same command id, so
      // the hub does it at most once), until it answers.
      streamUp = false;
      showUnreachable();
      setTimeout(function () { send(form, body, attempt + 1); }, Math.min(4000, 500 * attempt));
    });
  }

  function showUnreachable() {
    if (unreachable) { unreachable.hidden = streamUp; }
    lock();
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-press") && form.id !== "signin") { return; }
    event.preventDefault();
    if (pending !== null || !streamUp) { return; }
    var body = new FormData(form);
    var by = event.submitter;
    if (by && by.name) { body.set(by.name, by.value); }
    body.set("cid", newId());  // one id per press, kept for its resends
    pending = {body: body};
    lock();
    send(form, body, 1);
  });

  function actionFor(event) {
    for (var action in keys) {
      if (!Object.prototype.hasOwnProperty.call(keys, action)) { continue; }
      var list = keys[action];
      for (var i = 0; i < list.length; i++) {
        var k = list[i];
        if (k === "Enter" && (event.key === "Enter" || event.code === "NumpadEnter")) {
          return action;
        }
        if (k === event.key) { return action; }
        if (k === "." && event.code === "NumpadDecimal") { return action; }
      }
    }
    return null;
  }

  document.addEventListener("keydown", function (event) {
    var tag = event.target && event.target.tagName;
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") { return; }
    if (event.ctrlKey || event.altKey || event.metaKey) { return; }
    var action = actionFor(event);
    if (action === null) { return; }
    event.preventDefault();  // F1 is help, F5 a reload, Enter would press a focused button
    if (event.repeat) { return; }  // a held key presses once
    var button = root.querySelector('button[data-action="' + action + '"]');
    if (button && !button.disabled) { button.click(); }
  });

  var stream = new EventSource(root.getAttribute("data-live"));
  stream.addEventListener("page", function (event) {
    var data = JSON.parse(event.data);
    var focused = document.activeElement && document.activeElement.id;
    var typing = focused && document.activeElement.tagName === "INPUT";
    if (typing) { return; }  // never wipe what the officer is typing (the sign-in form)
    root.innerHTML = data.html;
    root.setAttribute("data-state", JSON.stringify(data.state));
    streamUp = true;
    showUnreachable();
  });
  // Only the clock moved (the timer, a queue's longest wait): those texts change in place and
  // the buttons stay the same elements, so a click in progress is not lost to a redraw.
  stream.addEventListener("tick", function (event) {
    var texts = JSON.parse(event.data);
    var spans = root.querySelectorAll("[data-tick]");
    if (spans.length !== texts.length) { return; }
    for (var i = 0; i < spans.length; i++) { spans[i].textContent = texts[i]; }
  });
  stream.addEventListener("open", function () { streamUp = true; showUnreachable(); });
  stream.addEventListener("error", function () { streamUp = false; showUnreachable(); });
})();
