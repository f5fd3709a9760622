// The live feed: new alerts appear in the inbox without reloading; flash alerts sound and notify;
// the originator sees acknowledgements and responses arrive. Reconnects from the last cursor, so
// nothing is missed across a dropped connection or a server restart.
(function () {
  var body = document.body;
  var cursor = body.getAttribute("data-feed-cursor");
  if (cursor === null) return;
  var delay = 1000;
  var notices = document.getElementById("live-notices");

  function notice(text, kind) {
    if (!notices) return;
    var p = document.createElement("p");
    p.className = "notice live " + (kind || "");
    p.setAttribute("role", "status");
    p.textContent = text;
    notices.insertBefore(p, notices.firstChild);
  }

  function beep() {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var osc = ctx.createOscillator();
      osc.frequency.value = 880;
      osc.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.4);
    } catch (e) { /* no audio device: the notice is enough */ }
  }

  function addToInbox(alert) {
    var table = document.querySelector("#inbox tbody");
    if (!table) return;
    var empty = document.getElementById("inbox-empty");
    if (empty) empty.remove();
    var row = document.createElement("tr");
    row.id = "delivery-" + alert.reference;
    row.className = "live";
    var csrf = (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value
      || (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || "";
    var link = document.createElement("a");
    link.href = "/alerts/" + encodeURIComponent(alert.reference) + "/";
    link.textContent = alert.reference;
    var first = document.createElement("td");
    first.appendChild(link);
    first.appendChild(document.createTextNode(" " + alert.title));
    row.appendChild(first);
    [alert.priority, alert.origin, "just now", ""].forEach(function (text) {
      var td = document.createElement("td");
      td.textContent = text;
      row.appendChild(td);
    });
    var action = document.createElement("td");
    var form = document.createElement("form");
    form.method = "post";
    form.action = "/inbox/" + encodeURIComponent(alert.reference) + "/acknowledge/";
    var token = document.createElement("input");
    token.type = "hidden"; token.name = "csrfmiddlewaretoken"; token.value = csrf;
    var button = document.createElement("button");
    button.className = "primary"; button.type = "submit"; button.textContent = "Acknowledge";
    form.appendChild(token); form.appendChild(button); action.appendChild(form); row.appendChild(action);
    table.insertBefore(row, table.firstChild);
  }

  function handle(event) {
    if (event.cursor) cursor = String(event.cursor);
    if (event.type === "published" || event.type === "revised") {
      var a = event.alert;
      notice((event.type === "published" ? "New " : "Updated ") + a.priority + " alert " + a.reference + ": " + a.title, a.priority);
      if (event.type === "published") addToInbox(a);
      if (a.priority === "flash") {
        beep();
        if (window.Notification && Notification.permission === "granted") {
          new Notification("Flash alert " + a.reference, { body: a.title });
        }
      }
    } else if (event.type === "cancelled" || event.type === "resolved") {
      notice("Alert " + event.alert.reference + " " + event.type + ".");
    } else if (event.type === "acknowledged") {
      notice(event.agency + " acknowledged " + event.reference + " (" + Math.round(event.seconds_to_acknowledge) + " s).", "ack");
    } else if (event.type === "responded") {
      notice(event.agency + " responded to " + event.reference + ": " + event.outcome + (event.message ? " — " + event.message : ""), "ack");
    }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ws/feed?cursor=" + encodeURIComponent(cursor));
    socket.onopen = function () { delay = 1000; body.setAttribute("data-feed-state", "open"); };
    socket.onmessage = function (message) {
      var event = JSON.parse(message.data);
      if (event.type === "error") { body.setAttribute("data-feed-state", "refused"); return; }
      handle(event);
    };
    socket.onclose = function (e) {
      body.setAttribute("data-feed-state", "closed");
      if (e.code === 1008) return;  // refused: signing in again is needed, not retrying
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  if (window.Notification && Notification.permission === "default") {
    document.addEventListener("click", function ask() {
      Notification.requestPermission();
      document.removeEventListener("click", ask);
    });
  }
  connect();
})();
