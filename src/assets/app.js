// The wshub browser page: one WebSocket to the server the page came from,
// reconnecting with backoff. It speaks raw text to a broadcast or echo
// server, and the chat protocol's JSON to a chat server, which it
// recognises by the first message: {"type":"welcome","id":...}.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const status = $("status");
  const error = $("error");
  const log = $("log");
  const input = $("input");
  const send = $("send");
  const me = $("me");

  // Same host and port as the page, ws:// or wss:// to match http(s)://.
  // The page's query goes along, so a page opened as /?token=SECRET
  // passes the server's --token (or JWT) on to the upgrade.
  const wsPath = document.documentElement.dataset.wsPath || "/";
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + wsPath + location.search;

  const FIRST_DELAY = 1; // seconds before the first reconnect attempt
  const MAX_DELAY = 30;
  const MAX_LOG = 1000; // older log lines are dropped

  let ws = null;
  let delay = FIRST_DELAY;
  let chat = false; // this connection speaks the chat protocol
  let first = true; // the next message is the first on this connection
  let myId = null;
  let myName = null;

  function setStatus(text, state) {
    status.textContent = text;
    status.className = state;
  }

  function showError(text) {
    error.textContent = text;
    error.hidden = !text;
  }

  function showMe() {
    me.textContent = myId === null ? "" : `you are ${label(myId, myName)}`;
    me.hidden = myId === null;
  }

  function label(id, name) {
    if (id === null || id === undefined) return "server";
    return name ? `${name} (#${id})` : `#${id}`;
  }

  // Appends a line: time, who (optional), text. Text is never parsed as HTML.
  function addLine(ts, who, text, kind) {
    const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    const li = document.createElement("li");
    li.className = kind;
    const time = document.createElement("time");
    const when = new Date(typeof ts === "number" ? ts : Date.now());
    time.dateTime = when.toISOString();
    time.textContent = when.toLocaleTimeString();
    li.append(time, " ");
    if (who) {
      const from = document.createElement("b");
      from.textContent = who;
      li.append(from, " ");
    }
    const body = document.createElement("span");
    body.textContent = text;
    li.append(body);
    log.append(li);
    while (log.childElementCount > MAX_LOG) log.firstElementChild.remove();
    if (atBottom) log.scrollTop = log.scrollHeight;
  }

  function connect() {
    setStatus("connecting", "connecting");
    chat = false;
    first = true;
    ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      delay = FIRST_DELAY;
      setStatus("open", "open");
      addLine(Date.now(), null, `connected to ${url}`, "info");
      showError("");
      send.disabled = false;
    };
    ws.onmessage = (event) => receive(event.data);
    ws.onclose = (event) => {
      ws = null;
      send.disabled = true;
      myId = null;
      showMe();
      const why = event.reason ? ` (${event.code} ${event.reason})` : ` (${event.code})`;
      addLine(Date.now(), null, `connection closed${why}`, "info");
      reconnectLater();
    };
    // An error is always followed by close, which reconnects.
  }

  // Counts down "reconnecting in N s", then connects; each failure doubles
  // the wait, up to MAX_DELAY.
  function reconnectLater() {
    let left = delay;
    delay = Math.min(delay * 2, MAX_DELAY);
    const tick = () => {
      if (left <= 0) {
        connect();
        return;
      }
      setStatus(`closed, reconnecting in ${left} s`, "closed");
      left -= 1;
      setTimeout(tick, 1000);
    };
    tick();
  }

  function receive(data) {
    if (typeof data !== "string") {
      first = false;
      addLine(Date.now(), null, `[binary message, ${data.byteLength} bytes]`, "raw");
      return;
    }
    if (first) {
      first = false;
      const welcome = parse(data);
      if (welcome && welcome.type === "welcome" && welcome.id !== undefined) {
        chat = true;
        input.placeholder = "Message #lobby — /name NAME sets your name";
        onChat(welcome);
        return;
      }
    }
    if (!chat) {
      addLine(Date.now(), null, data, "raw");
      return;
    }
    const message = parse(data);
    if (message && typeof message.type === "string") onChat(message);
    else addLine(Date.now(), null, data, "raw");
  }

  function parse(text) {
    try {
      const value = JSON.parse(text);
      return value !== null && typeof value === "object" ? value : null;
    } catch (_) {
      return null;
    }
  }

  // Renders one chat protocol message from the server.
  function onChat(m) {
    switch (m.type) {
      case "welcome": {
        myId = m.id;
        myName = m.name || null;
        showMe();
        const rooms = Array.isArray(m.rooms) ? m.rooms.join(", ") : "";
        addLine(Date.now(), null,
          `welcome: you are #${m.id} in ${rooms || "no room"}; ${m.clients} online`, "info");
        break;
      }
      case "message": {
        const room = m.room && m.room !== "lobby" ? ` [${m.room}]` : "";
        const kind = m.from === myId ? "message mine" : m.from === null ? "message server" : "message";
        addLine(m.ts, label(m.from, m.name) + room, m.text, kind);
        break;
      }
      case "direct":
        addLine(m.ts, `${label(m.from, m.name)} → you`, m.text, "direct");
        break;
      case "presence": {
        const self = m.id === myId;
        if (self && m.event === "renamed") {
          myName = m.name;
          showMe();
        }
        const who = self ? "you" : label(m.id, m.event === "renamed" ? null : m.name);
        const what = m.event !== "renamed" ? `${m.event} ${m.room}`
          : self ? `are now called ${m.name}` : `is now called ${m.name}`;
        addLine(Date.now(), null, `${who} ${what}`, "presence");
        break;
      }
      case "error":
        showError(`${m.code}: ${m.message}`);
        addLine(Date.now(), null, `error ${m.code}: ${m.message}`, "error");
        break;
      case "ack":
        addLine(Date.now(), null, `delivered to ${m.recipients}`, "info");
        break;
      default:
        addLine(Date.now(), null, JSON.stringify(m), "raw");
    }
  }

  $("compose").addEventListener("submit", (event) => {
    event.preventDefault(); // Enter and the Send button both land here.
    const text = input.value;
    if (!text || !ws || ws.readyState !== WebSocket.OPEN) return;
    if (chat) {
      const rename = /^\/name\s+(.+)$/.exec(text);
      ws.send(JSON.stringify(rename
        ? { type: "name", name: rename[1].trim() }
        : { type: "message", text, room: "lobby" }));
    } else {
      ws.send(text);
    }
    showError("");
    input.value = "";
    input.focus();
  });

  connect();
})();
