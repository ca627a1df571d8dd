// One websocket to /ws/ (session cookie, same origin) shared by the practice room: subscribe
// to topics, reconnect with backoff, and say so while the connection is down. Every
// (re)subscription is answered by a "subscribed" frame, which listeners use to catch up on
// what they missed while away; nothing here polls.

const CLOSE_UNAUTHENTICATED = 4401;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30000;

export class Realtime extends EventTarget {
  constructor() {
    super();
    this.handlers = new Map(); // topic -> Set of functions called with each frame
    this.socket = null;
    this.retryMs = FIRST_RETRY_MS;
    this.retryTimer = null;
    this.closed = false;
    this.everOpened = false;
  }

  // Calls `handler(frame)` for every frame of `topic` ("subscribed", "error" and events).
  // Returns `{ready, unsubscribe}`: `ready` resolves once the server answered the first
  // subscription, or after `timeoutMs`, so a slow socket never holds up an upload (the
  // handler still catches up when "subscribed" does come).
  subscribe(topic, handler, timeoutMs = 3000) {
    if (!this.handlers.has(topic)) this.handlers.set(topic, new Set());
    let settle;
    const ready = new Promise((resolve) => {
      settle = resolve;
    });
    const timer = setTimeout(() => settle(false), timeoutMs);
    const wrapped = (frame) => {
      if (frame.type === "subscribed" || frame.type === "error") {
        clearTimeout(timer);
        settle(frame.type === "subscribed");
      }
      handler(frame);
    };
    this.handlers.get(topic).add(wrapped);
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.send({ type: "subscribe", topic });
    else this.connect();
    return { ready, unsubscribe: () => this.unsubscribe(topic, wrapped) };
  }

  unsubscribe(topic, handler) {
    const handlers = this.handlers.get(topic);
    if (!handlers) return;
    handlers.delete(handler);
    if (handlers.size) return;
    this.handlers.delete(topic);
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.send({ type: "unsubscribe", topic });
  }

  connect() {
    if (this.closed || this.retryTimer !== null) return;
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/`);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.retryMs = FIRST_RETRY_MS;
      const wasDown = this.everOpened;
      this.everOpened = true;
      for (const topic of this.handlers.keys()) this.send({ type: "subscribe", topic });
      this.emit("state", { state: "open", reconnected: wasDown });
    });
    socket.addEventListener("message", (message) => {
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      const handlers = frame && frame.topic ? this.handlers.get(frame.topic) : null;
      if (handlers) for (const handler of [...handlers]) handler(frame);
    });
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.closed) return;
      if (event.code === CLOSE_UNAUTHENTICATED) {
        this.emit("state", { state: "unauthenticated" });
        return;
      }
      const delay = this.retryMs;
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
      this.emit("state", { state: "retrying", delayMs: delay });
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (this.handlers.size) this.connect();
      }, delay);
    });
  }

  // Try at once (the browser says it is back online), instead of waiting out the backoff.
  reconnectNow() {
    if (this.retryTimer === null) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryMs = FIRST_RETRY_MS;
    this.connect();
  }

  send(frame) {
    this.socket.send(JSON.stringify(frame));
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  close() {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.socket) this.socket.close();
  }
}
