// <practika-notification-bell>: the header's unread count, kept live over /ws/ (topic
// user:<id>), and a dropdown of the latest notifications. Without JS the link still leads to
// the notifications page.

const LATEST = 8;

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function api(path, options = {}) {
  const response = await fetch(path, {
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    ...options,
  });
  if (!response.ok) throw new Error(`${response.status} ${path}`);
  return response.json();
}

class NotificationBell extends HTMLElement {
  connectedCallback() {
    this.link = this.querySelector(".bell-link");
    this.panel = this.querySelector(".bell-panel");
    this.list = this.querySelector(".bell-list");
    this.count = this.querySelector(".bell-count");
    this.number = this.querySelector(".bell-number");
    this.link.addEventListener("click", (event) => {
      event.preventDefault();
      this.toggle();
    });
    this.querySelector(".bell-read-all").addEventListener("click", () => this.readAll());
    this.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.close(true);
    });
    document.addEventListener("click", (event) => {
      if (!this.contains(event.target)) this.close(false);
    });
    this.retry = 1000;
    this.connect();
  }

  disconnectedCallback() {
    this.closing = true;
    if (this.socket) this.socket.close();
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/`);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.retry = 1000;
      socket.send(JSON.stringify({ type: "subscribe", topic: `user:${this.dataset.userId}` }));
      // Whatever happened while we were away: the count is the truth, fetch it.
      api("/api/v1/notifications/unread-count/").then((body) => this.setCount(body.unread_count), () => {});
    });
    socket.addEventListener("message", (message) => this.onEvent(JSON.parse(message.data)));
    socket.addEventListener("close", () => {
      if (this.closing) return;
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 30000);
    });
  }

  onEvent(frame) {
    if (!frame.type || !frame.type.startsWith("notification.")) return;
    if (typeof frame.data.unread_count === "number") this.setCount(frame.data.unread_count);
    if (frame.type !== "notification.read" && this.loaded) {
      this.list.querySelector(`[data-id="${CSS.escape(frame.data.id)}"]`)?.remove();
      this.list.prepend(this.item(frame.data));
      while (this.list.children.length > LATEST) this.list.lastElementChild.remove();
    }
    this.dispatchEvent(new CustomEvent("practika:notification", { bubbles: true, detail: frame }));
  }

  setCount(unread) {
    this.count.hidden = unread === 0;
    this.count.dataset.count = String(unread);
    this.number.textContent = String(unread);
  }

  item(notification) {
    const li = document.createElement("li");
    li.dataset.id = notification.id;
    li.className = notification.read ? "read" : "unread";
    const title = document.createElement(notification.url ? "a" : "span");
    if (notification.url) title.href = notification.url;
    title.textContent = notification.title;
    li.append(title);
    if (notification.body) {
      const body = document.createElement("p");
      body.textContent = notification.body;
      li.append(body);
    }
    return li;
  }

  async toggle() {
    if (!this.panel.hidden) return this.close(true);
    this.panel.hidden = false;
    if (getComputedStyle(this.panel).position === "fixed") {
      // Phones: right under the bell, wherever the header's wrapping put it.
      this.panel.style.top = `${this.link.getBoundingClientRect().bottom + 4}px`;
    }
    this.link.setAttribute("aria-expanded", "true");
    if (!this.loaded) {
      try {
        const body = await api(`/api/v1/notifications/?page_size=${LATEST}`);
        this.list.replaceChildren(...body.results.map((n) => this.item(n)));
        if (!body.results.length) {
          const empty = document.createElement("li");
          empty.textContent = "Nothing yet.";
          this.list.append(empty);
        }
        this.loaded = true;
      } catch {
        this.list.replaceChildren(Object.assign(document.createElement("li"), {
          textContent: "Could not load notifications. Try again in a moment.",
        }));
      }
    }
  }

  close(focusLink) {
    if (this.panel.hidden) return;
    this.panel.hidden = true;
    this.link.setAttribute("aria-expanded", "false");
    if (focusLink) this.link.focus();
  }

  async readAll() {
    const body = await api("/api/v1/notifications/read/", {
      method: "POST",
      body: JSON.stringify({ all: true }),
    });
    this.setCount(body.unread_count);
    this.list.querySelectorAll("li.unread").forEach((li) => li.classList.replace("unread", "read"));
  }
}

customElements.define("practika-notification-bell", NotificationBell);
