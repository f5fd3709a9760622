// The live feed: new alerts appear in the inbox without reloading; flash alerts sound and notify;
// the originator sees acknowledgements and responses arrive; escalations, hits to confirm,
// reminders and matches show as notices. Reconnects with backoff from the last cursor it saw
// (kept in sessionStorage, per signed-in agency), so nothing is missed across a dropped
// connection or a server restart, and nothing is shown twice.
(function () {
  var body = document.body;
  var pageCursor = body.getAttribute("data-feed-cursor");
  if (pageCursor === null) return;
  var who = document.querySelector(".who");
  var storeKey = "crimac.feed.cursor:" + (who ? who.textContent : "");
  // The page shows everything up to its own cursor; a later one stored by this tab (the same
  // agency, before a reload) is further on.
  var cursor = Number(pageCursor) || 0;
  try {
    var stored = Number(sessionStorage.getItem(storeKey));
    if (stored > cursor) cursor = stored;
  } catch (e) { /* storage disabled: the in-page cursor still resumes */ }
  var MIN_DELAY = 500, MAX_DELAY = 30000;
  var delay = MIN_DELAY;
  var notices = document.getElementById("live-notices");

  function remember(value) {
    if (!(value > cursor)) return;
    cursor = value;
    body.setAttribute("data-feed-last", String(cursor));
    try { sessionStorage.setItem(storeKey, String(cursor)); } catch (e) { /* see above */ }
  }

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

  var NOTICE_TEXT = {
    escalated: "Escalated",
    hit_claimed: "Hit to confirm",
    hit_reminder: "Reminder: hit to confirm",
    hit_confirmed: "Hit confirmed",
    match: "Possible match",
    delayed_inquiry: "Delayed inquiry"
  };

  function showNotice(event) {
    var text = NOTICE_TEXT[event.type] + " · " + event.reference + ": " + event.message;
    if (event.related) text += " (" + event.related + (event.related_origin ? ", " + event.related_origin : "") + ")";
    if (event.deadline) text += " — by " + new Date(event.deadline).toLocaleString();
    notice(text, "feed-notice " + event.type);
    if (event.type === "escalated" || event.type === "hit_claimed" || event.type === "hit_reminder") beep();
  }

  function handle(event) {
    if (event.cursor) remember(event.cursor);
    if (NOTICE_TEXT[event.type]) {
      showNotice(event);
    } else if (event.type === "published" || event.type === "revised") {
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
    var socket = new WebSocket(scheme + location.host + "/ws/feed?cursor=" + encodeURIComponent(String(cursor)));
    var refused = false;
    socket.onopen = function () { delay = MIN_DELAY; body.setAttribute("data-feed-state", "open"); };
    socket.onmessage = function (message) {
      var event = JSON.parse(message.data);
      if (event.type === "error") {
        refused = event.field === "credentials" || event.field === "cursor";
        if (event.field === "cursor") {
          // A cursor the server does not know (a restored database): start again from the page's.
          try { sessionStorage.removeItem(storeKey); } catch (e) { /* see above */ }
        }
        body.setAttribute("data-feed-state", "refused");
        return;
      }
      handle(event);
    };
    socket.onclose = function (e) {
      if (e.code === 1008 || refused) {  // refused: signing in again is needed, not retrying
        body.setAttribute("data-feed-state", "refused");
        return;
      }
      body.setAttribute("data-feed-state", "reconnecting");
      // Backoff with jitter, so a restarted server is not met by every browser at once.
      setTimeout(connect, delay / 2 + Math.random() * delay / 2);
      delay = Math.min(delay * 2, MAX_DELAY);
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
