// Antrean's live pages: the page's live part is re-rendered by the web station and sent over
// server-sent events; this swaps it in. Written for old Android browsers (no modules, no
// build). The page works without it (it then reloads itself every 30 s).
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root || !window.EventSource) { return; }
  var stale = document.getElementById("stale");
  var staleWord = root.getAttribute("data-stale-word") || "";
  var state = {};
  try { state = JSON.parse(root.getAttribute("data-state") || "{}"); } catch (e) { state = {}; }
  var lastNews = new Date();
  var streamBroken = false;
  var reminded = false, remind = false, sound = false;
  // The board's voice (/papan?suara=1): each new call's announcement, one after another.
  var boardSound = document.getElementById("board-sound");
  var voiceOn = false, voiceQueue = [], voicePlaying = false, lastSpoken = state.seq || 0;

  Array.prototype.forEach.call(document.querySelectorAll("[data-js-only]"), function (el) {
    el.hidden = false;
  });

  function two(n) { return (n < 10 ? "0" : "") + n; }
  function showStale(text) {
    if (!stale) { return; }
    stale.textContent = text;
    stale.hidden = !text;
  }

  function chime() {
    // A short two-tone chime made here (no sound file to download).
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return; }
    var ctx = new Ctx();
    [660, 880].forEach(function (freq, i) {
      var osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, ctx.currentTime + i * 0.45);
      gain.gain.exponentialRampToValueAtTime(0.4, ctx.currentTime + i * 0.45 + 0.05);
      gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + i * 0.45 + 0.4);
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(ctx.currentTime + i * 0.45); osc.stop(ctx.currentTime + i * 0.45 + 0.42);
    });
  }

  function notify(text) {
    if (remind && window.Notification && Notification.permission === "granted") {
      try { new Notification(text); } catch (e) { /* some phones allow it only from a worker */ }
    }
  }

  function called(s) {
    var screen = document.getElementById("callscreen");
    if (!screen) { return; }
    var go = document.getElementById("callscreen-go");
    document.getElementById("callscreen-label").textContent = s.label;
    go.textContent = go.getAttribute("data-word").replace("{counter}", s.counter);
    screen.hidden = false;
    if (navigator.vibrate) { navigator.vibrate([400, 200, 400, 200, 400]); }
    if (sound) { chime(); }
    notify(go.textContent);
  }

  function speakNext() {
    if (voicePlaying || !voiceQueue.length) { return; }
    var audio = new Audio("/suara/" + voiceQueue.shift() + ".wav");
    var done = function () { voicePlaying = false; speakNext(); };
    voicePlaying = true;
    audio.onended = done;
    audio.onerror = done;
    var playing = audio.play();
    if (playing && playing.catch) { playing.catch(done); }
  }

  function announce(seq) {
    if (!boardSound || !seq || seq <= lastSpoken) { return; }
    lastSpoken = seq;
    if (voiceOn) { voiceQueue.push(seq); speakNext(); }
  }

  function apply(next) {
    var was = state;
    state = next || {};
    announce(state.seq);
    if (state.called && !(was.called && was.counter === state.counter)) { called(state); }
    if (!state.called) {
      var screen = document.getElementById("callscreen");
      if (screen) { screen.hidden = true; }
    }
    var remindBtn = document.getElementById("remind");
    if (remindBtn && typeof state.ahead === "number" && state.ahead <= 3 && !reminded && remind) {
      reminded = true;
      notify(remindBtn.getAttribute("data-three"));
    }
  }

  var es = new EventSource(root.getAttribute("data-live"));
  es.addEventListener("page", function (ev) {
    var data = JSON.parse(ev.data);
    root.innerHTML = data.html;
    streamBroken = false;
    lastNews = new Date();
    showStale(data.stale);
    apply(data.state);
  });
  es.onerror = function () {
    // The web station itself is gone (restarting): say since when, and let EventSource
    // reconnect by itself.
    if (!streamBroken) {
      streamBroken = true;
      showStale(staleWord.replace("{time}", two(lastNews.getHours()) + ":" +
                                  two(lastNews.getMinutes())));
    }
  };

  var closeBtn = document.getElementById("callscreen-close");
  if (closeBtn) {
    closeBtn.addEventListener("click", function () {
      document.getElementById("callscreen").hidden = true;
    });
  }
  var remindBtn = document.getElementById("remind");
  if (remindBtn) {
    remindBtn.addEventListener("click", function () {
      var done = function () {
        remind = true;
        remindBtn.textContent = remindBtn.getAttribute("data-done");
        remindBtn.setAttribute("aria-pressed", "true");
        apply(state);
      };
      if (window.Notification && Notification.permission !== "granted") {
        Notification.requestPermission().then(done, done);
      } else { done(); }
    });
  }
  // A tap is what lets the browser play sound later: the ticket's chime, the board's voice.
  function soundButton(button, turnOn) {
    if (!button) { return; }
    button.addEventListener("click", function () {
      turnOn();
      chime();
      button.textContent = button.getAttribute("data-done");
      button.setAttribute("aria-pressed", "true");
    });
  }
  soundButton(document.getElementById("sound"), function () { sound = true; });
  soundButton(boardSound, function () { voiceOn = true; });
  if (state.called) { called(state); }
}());
