// One /ws/ connection per page, shared by its live parts. Subscriptions outlive a dropped
// connection: on reconnect each is renewed with the last seq it saw, so the server replays
// what was missed. The page is told, in plain words, when the connection is lost and retried.

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30000;
const CLOSE_UNAUTHENTICATED = 4401;

export class RealtimeConnection extends EventTarget {
  constructor() {
    super();
    this.subscriptions = new Map();
    this.retryMs = FIRST_RETRY_MS;
    this.state = "connecting";
    this.connect();
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/`);
    this.socket = socket;
    this.setState("connecting");
    socket.addEventListener("open", () => {
      this.retryMs = FIRST_RETRY_MS;
      this.setState("open");
      for (const [topic, subscription] of this.subscriptions) this.sendSubscribe(topic, subscription);
    });
    socket.addEventListener("message", (message) => this.receive(message.data));
    socket.addEventListener("close", (event) => {
      if (event.code === CLOSE_UNAUTHENTICATED) {
        this.setState("logged-out");
        return;
      }
      const wait = this.retryMs;
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
      this.setState("retrying", wait);
      setTimeout(() => this.connect(), wait);
    });
  }

  get open() {
    return this.socket.readyState === WebSocket.OPEN;
  }

  setState(state, retryMs = 0) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, retryMs } }));
  }

  // handlers: {since() -> seq or null, onEvent(frame), onError(frame)}
  subscribe(topic, handlers) {
    this.subscriptions.set(topic, handlers);
    if (this.open) this.sendSubscribe(topic, handlers);
    return () => this.unsubscribe(topic);
  }

  unsubscribe(topic) {
    if (this.subscriptions.delete(topic)) this.send({ type: "unsubscribe", topic });
  }

  sendSubscribe(topic, handlers) {
    const since = handlers.since ? handlers.since() : null;
    this.send({ type: "subscribe", topic, since: Number.isInteger(since) ? since : null });
  }

  send(frame) {
    if (!this.open) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    const subscription = this.subscriptions.get(frame.topic);
    if (!subscription) return;
    if (frame.type === "error") subscription.onError?.(frame);
    else if (frame.type === "subscribed") subscription.onSubscribed?.();
    else if (frame.type !== "unsubscribed") subscription.onEvent(frame);
  }
}

let shared = null;

export function realtime() {
  shared ??= new RealtimeConnection();
  return shared;
}

const STATE_MESSAGES = {
  connecting: "Reconnecting for live updates…",
  open: "",
  "logged-out": "You are logged out, so live updates stopped. Log in again and reload the page.",
};

// Keeps `element` (a role="status" region) saying how the live connection is doing. Quiet
// while all is well: the first connection says nothing, a lost one says when it retries.
export function showConnectionState(element, connection = realtime()) {
  let countdown = null;
  let troubled = false;
  const render = ({ state, retryMs }) => {
    clearInterval(countdown);
    troubled ||= state === "retrying" || state === "logged-out";
    element.classList.toggle("warning", state === "retrying" || state === "logged-out");
    if (state !== "retrying") {
      element.textContent = troubled ? STATE_MESSAGES[state] ?? "" : "";
      element.hidden = !element.textContent;
      return;
    }
    let seconds = Math.ceil(retryMs / 1000);
    const say = () => {
      element.textContent = `Connection lost. Retrying in ${seconds} s… Anything you post meanwhile is still saved.`;
    };
    element.hidden = false;
    say();
    countdown = setInterval(() => {
      seconds = Math.max(0, seconds - 1);
      say();
    }, 1000);
  };
  render({ state: connection.state, retryMs: 0 });
  connection.addEventListener("state", (event) => render(event.detail));
}
