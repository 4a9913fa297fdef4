// The wshub browser page: one WebSocket to the server the page came from,
// reconnecting with backoff. It speaks raw text to a broadcast or echo
// server, and the chat protocol's JSON to a chat server, which it
// recognises by the first message: {"type":"welcome","id":...}.
//
// In chat mode it also keeps what the user chose across reconnects (the
// name, the rooms joined), lists who is online in the user's rooms, and
// sends each message to the room picked in #room.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const status = $("status");
  const error = $("error");
  const log = $("log");
  const input = $("input");
  const send = $("send");
  const me = $("me");
  const roomPicker = $("room");
  const online = $("online");
  const people = $("people");

  // Same host and port as the page, ws:// or wss:// to match http(s)://.
  // The page's query goes along, so a page opened as /?token=SECRET
  // passes the server's --token (or JWT) on to the upgrade.
  const wsPath = document.documentElement.dataset.wsPath || "/";
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + wsPath + location.search;

  const FIRST_DELAY = 1; // seconds before the first reconnect attempt
  const MAX_DELAY = 30;
  const MAX_LOG = 1000; // older log lines are dropped
  const LOBBY = "lobby";

  let ws = null;
  let delay = FIRST_DELAY;
  let chat = false; // this connection speaks the chat protocol
  let first = true; // the next message is the first on this connection
  let wasOpen = false; // the last connection opened (so its end is news)
  let retrying = false; // a "reconnecting" line is already in the log
  let myId = null;
  let myName = null;
  // What the user chose, kept across reconnects and set again on the
  // next welcome: the server forgets a client when its connection ends.
  let wantedName = null;
  const wantedRooms = new Set([LOBBY]);
  let picked = LOBBY; // the room messages go to, while the page is in it
  // Who is in each of my rooms: room -> Map(id -> name).
  let members = new Map();
  // Presence that arrives while GET /clients is on its way, applied
  // after its answer so that nothing is lost or undone.
  let pendingPresence = null;
  let refreshAgain = false; // rooms changed while GET /clients was out

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
      wasOpen = true;
      retrying = false;
      setStatus("open", "open");
      addLine(Date.now(), null, `connected to ${url}`, "info");
      showError("");
    };
    ws.onmessage = (event) => receive(event.data);
    ws.onclose = (event) => {
      ws = null;
      myId = null;
      showMe();
      showChat(false);
      // One line when a connection ends or cannot be made; the retries
      // after it only count down in #status.
      if (wasOpen) {
        const why = event.reason ? `${event.code} ${event.reason}` : `${event.code}`;
        addLine(Date.now(), null, `connection closed (${why}); reconnecting`, "info");
      } else if (!retrying) {
        addLine(Date.now(), null, `cannot connect to ${url}; reconnecting`, "info");
      }
      wasOpen = false;
      retrying = true;
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
        input.placeholder = "Message — /name NAME, /join ROOM, /leave ROOM";
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

  function request(message) {
    ws.send(JSON.stringify(message));
  }

  // Renders one chat protocol message from the server.
  function onChat(m) {
    switch (m.type) {
      case "welcome":
        onWelcome(m);
        break;
      case "message": {
        const room = m.room && m.room !== LOBBY ? ` [${m.room}]` : "";
        const kind = m.from === myId ? "message mine" : m.from === null ? "message server" : "message";
        addLine(m.ts, label(m.from, m.name) + room, m.text, kind);
        break;
      }
      case "direct":
        addLine(m.ts, `${label(m.from, m.name)} → you`, m.text, "direct");
        break;
      case "presence":
        onPresence(m);
        break;
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

  function onWelcome(m) {
    myId = m.id;
    myName = m.name || null;
    showMe();
    const rooms = Array.isArray(m.rooms) ? m.rooms : [];
    members = new Map(rooms.map((room) => [room, new Map()]));
    showChat(true);
    addLine(Date.now(), null,
      `welcome: you are #${m.id} in ${rooms.join(", ") || "no room"}; ${m.clients} online`, "info");
    // Set again what the user chose on the last connection. A name from
    // the server (a JWT's) stays.
    if (wantedName && !myName) request({ type: "name", name: wantedName });
    for (const room of wantedRooms) {
      if (!members.has(room)) request({ type: "join", room });
    }
    for (const room of members.keys()) {
      if (!wantedRooms.has(room)) wantedRooms.add(room);
    }
    refreshMembers();
  }

  function onPresence(m) {
    const self = m.id === myId;
    if (self && m.event === "renamed") {
      myName = m.name;
      wantedName = m.name;
      showMe();
    }
    if (self && m.event === "joined" && !members.has(m.room)) {
      members.set(m.room, new Map());
      wantedRooms.add(m.room);
      showRooms();
      refreshMembers(); // Who was in the room before me.
    }
    if (self && m.event === "left") {
      members.delete(m.room);
      wantedRooms.delete(m.room);
      if (picked === m.room) picked = LOBBY;
      showRooms();
    }
    if (pendingPresence) pendingPresence.push(m);
    else applyPresence(m);
    showPeople();
    const who = self ? "you" : label(m.id, m.event === "renamed" ? null : m.name);
    const what = m.event !== "renamed" ? `${m.event} ${m.room}`
      : self ? `are now called ${m.name}` : `is now called ${m.name}`;
    addLine(Date.now(), null, `${who} ${what}`, "presence");
  }

  // Presence events set one fact each (who is in a room, under which
  // name), so applying them again on a fresher list changes nothing.
  function applyPresence(m) {
    const room = members.get(m.room);
    if (!room) return;
    if (m.event === "left") room.delete(m.id);
    else room.set(m.id, m.name);
  }

  // Asks the HTTP API who is in my rooms (the protocol announces only
  // changes); the page's query carries a --token along, as to the upgrade.
  function refreshMembers() {
    if (pendingPresence) {
      refreshAgain = true; // The answer on its way may predate a join.
      return;
    }
    pendingPresence = [];
    fetch("/clients" + location.search, { cache: "no-store" })
      .then((response) => (response.ok ? response.json() : []))
      .catch(() => [])
      .then((clients) => {
        for (const room of members.keys()) members.set(room, new Map());
        for (const client of Array.isArray(clients) ? clients : []) {
          for (const room of client.rooms || []) {
            members.get(room)?.set(client.id, client.name);
          }
        }
        const pending = pendingPresence;
        pendingPresence = null;
        pending.forEach(applyPresence);
        showPeople();
        if (refreshAgain) {
          refreshAgain = false;
          refreshMembers();
        }
      });
  }

  // #people: everyone in at least one of my rooms, me first.
  function showPeople() {
    const everyone = new Map();
    for (const [room, inRoom] of members) {
      for (const [id, name] of inRoom) {
        if (!everyone.has(id)) everyone.set(id, { name, rooms: [] });
        everyone.get(id).rooms.push(room);
      }
    }
    const ids = [...everyone.keys()].sort((a, b) => (a === myId ? -1 : b === myId ? 1 : a - b));
    people.replaceChildren(...ids.map((id) => {
      const li = document.createElement("li");
      const { name, rooms } = everyone.get(id);
      li.dataset.id = id;
      li.textContent = label(id, name) + (id === myId ? " (you)" : "");
      li.title = `in ${rooms.join(", ")}`;
      return li;
    }));
  }

  // #room: the rooms I am in; a message goes to the one picked.
  function showRooms() {
    const rooms = [...members.keys()].sort((a, b) => (a === LOBBY ? -1 : b === LOBBY ? 1 : a.localeCompare(b)));
    roomPicker.replaceChildren(...rooms.map((room) => {
      const option = document.createElement("option");
      option.value = option.textContent = room;
      return option;
    }));
    roomPicker.value = rooms.includes(picked) ? picked : rooms[0] || "";
  }

  roomPicker.addEventListener("change", () => {
    picked = roomPicker.value;
  });

  function showChat(on) {
    online.hidden = !on;
    roomPicker.hidden = !on;
    if (on) showRooms();
    else people.replaceChildren();
  }

  $("compose").addEventListener("submit", (event) => {
    event.preventDefault(); // Enter and the Send button both land here.
    const text = input.value;
    if (!text) return;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      // Keep the text: it can be sent once the page is connected again.
      showError("cannot send: the connection is closed (reconnecting; your message is kept)");
      return;
    }
    if (chat) {
      const command = /^\/(name|join|leave)\s+(.+)$/.exec(text);
      if (command) {
        const [, type, value] = command;
        // A room joined by hand is where the next messages go.
        if (type === "join") picked = value.trim();
        request({ type, [type === "name" ? "name" : "room"]: value.trim() });
      } else request({ type: "message", text, room: roomPicker.value || LOBBY });
    } else {
      ws.send(text);
    }
    showError("");
    input.value = "";
    input.focus();
  });

  connect();
})();
