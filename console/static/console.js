// The console's live hall: the console re-renders the hall's live part and sends it over
// server-sent events; this swaps it in. When the stream breaks (the console itself is gone)
// the page says since when its data is; when the session ended, it goes to the sign-in page.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root || !window.EventSource) { return; }
  var stale = document.getElementById("stale");
  var staleWord = root.getAttribute("data-stale-word") || "";
  var lastNews = new Date();

  function two(n) { return (n < 10 ? "0" : "") + n; }
  function showStale(text) {
    if (!stale) { return; }
    stale.textContent = text;
    stale.hidden = !text;
  }

  var source = new EventSource(root.getAttribute("data-live"));
  source.addEventListener("page", function (e) {
    var data = JSON.parse(e.data);
    root.innerHTML = data.html;
    lastNews = new Date();
    showStale(data.stale);
  });
  source.addEventListener("signed_out", function (e) {
    source.close();
    window.location.assign(e.data);
  });
  source.onerror = function () {
    showStale(staleWord.replace("{time}", two(lastNews.getHours()) + ":" +
                                          two(lastNews.getMinutes())));
  };
})();

// The reports' form: only the fields of the chosen kind of period (without script, all show).
(function () {
  "use strict";
  var kind = document.getElementById("periode");
  if (!kind) { return; }
  function show() {
    var fields = document.querySelectorAll("[data-kinds]");
    for (var i = 0; i < fields.length; i++) {
      var kinds = fields[i].getAttribute("data-kinds").split(" ");
      fields[i].hidden = kinds.indexOf(kind.value) < 0;
    }
  }
  kind.addEventListener("change", show);
  show();
}());
