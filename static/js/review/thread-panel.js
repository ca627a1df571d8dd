// <practika-thread-panel user-id="…" player="<id of a practika-player>">: the live threads of
// one segment. The page calls `showSegment({id, title})`. Messages load over REST, then the
// panel follows thread:<id> on /ws/ (new, edited and deleted messages, typing, presence) and
// catches up with `since` after a dropped connection. Posting goes over REST for a definite
// answer (errors in words, nothing lost); the socket echo is merged by message id.

import { api, apiAll } from "./api.js";
import { messageFragment } from "./message-html.js";
import { realtime } from "./realtime.js";
import { clock } from "./time.js";

const TYPING_SHOWN_MS = 4000;
const TYPING_SENT_EVERY_MS = 1500;
const MESSAGES_PAGE_SIZE = 500;

let panels = 0;

function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value == null) continue;
    element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children);
  return element;
}

function timeOfDay(iso) {
  const date = new Date(iso);
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

class ThreadPanel extends HTMLElement {
  connectedCallback() {
    if (this.built) return;
    this.built = true;
    this.idPrefix = `thread-panel-${++panels}`;
    this.userId = this.getAttribute("user-id");
    this.segment = null;
    this.thread = null;
    this.threads = [];
    this.messages = new Map();
    this.lastSeq = 0;
    this.typers = new Map();
    this.lastTypingSent = 0;
    this.build();
    document.addEventListener("practika:timeupdate", () => this.showAttachTime());
  }

  get player() {
    return document.getElementById(this.getAttribute("player") || "");
  }

  build() {
    const id = (name) => `${this.idPrefix}-${name}`;
    this.heading = el("h3", { class: "thread-heading", id: id("heading"), hidden: true });
    this.placeholder = el("p", { class: "muted" }, "Pick a segment to see its discussion.");
    this.picker = el("div", { class: "thread-picker", hidden: true });
    this.select = el("select", { id: id("select") });
    this.newThreadButton = el("button", { type: "button", class: "secondary" }, "New thread");
    this.picker.append(el("label", { for: id("select") }, "Thread"), this.select, this.newThreadButton);
    this.presence = el("p", { class: "presence muted", "aria-live": "polite" });
    this.list = el("ol", { class: "message-list", "aria-labelledby": id("heading"), hidden: true });
    this.typing = el("p", { class: "typing muted", "aria-live": "polite" });

    this.compose = el("form", { class: "compose", hidden: true });
    this.body = el("textarea", { id: id("body"), rows: "3", maxlength: "5000", required: true });
    this.attachTime = el("input", { type: "checkbox", id: id("attach") });
    this.attachLabel = el("label", { for: id("attach"), class: "check" });
    this.sendButton = el("button", { type: "submit" }, "Send");
    this.compose.append(
      el("label", { for: id("body") }, "Your message"),
      this.body,
      el("div", { class: "check-row" }, this.attachTime, this.attachLabel),
      this.sendButton,
    );

    this.starter = el("form", { class: "new-thread", hidden: true });
    this.titleInput = el("input", { id: id("title"), maxlength: "200", required: true });
    this.firstMessage = el("textarea", { id: id("first"), rows: "3", maxlength: "5000" });
    this.cancelStart = el("button", { type: "button", class: "secondary" }, "Cancel");
    this.starter.append(
      el("p", {}, "Start a discussion of this segment."),
      el("label", { for: id("title") }, "Thread title"),
      this.titleInput,
      el("label", { for: id("first") }, "First message (optional)"),
      this.firstMessage,
      el("div", { class: "button-row" }, el("button", { type: "submit" }, "Start thread"), this.cancelStart),
    );
    this.errorBox = el("p", { class: "error", role: "alert" });

    this.replaceChildren(
      this.heading, this.placeholder, this.picker, this.presence, this.list, this.typing,
      this.compose, this.starter, this.errorBox,
    );
    this.showAttachTime();

    this.compose.addEventListener("submit", (event) => {
      event.preventDefault();
      this.post();
    });
    this.body.addEventListener("input", () => this.sendTyping());
    this.starter.addEventListener("submit", (event) => {
      event.preventDefault();
      this.startThread();
    });
    this.cancelStart.addEventListener("click", () => {
      this.starter.hidden = true;
      if (this.thread) this.compose.hidden = false;
    });
    this.newThreadButton.addEventListener("click", () => this.offerNewThread());
    this.select.addEventListener("change", () => {
      const thread = this.threads.find((item) => item.id === this.select.value);
      if (thread) this.openThread(thread);
    });
    this.list.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-time]");
      if (button) this.player?.seek?.(Number(button.dataset.time));
    });
  }

  showAttachTime() {
    const time = this.player?.currentTime;
    this.attachLabel.textContent = typeof time === "number"
      ? `Attach the video time (${clock(time)})`
      : "Attach the video time";
  }

  fail(error) {
    this.errorBox.textContent = error.message || String(error);
  }

  async showSegment(segment) {
    this.leaveThread();
    this.segment = segment;
    this.errorBox.textContent = "";
    this.placeholder.hidden = Boolean(segment);
    this.heading.hidden = !segment;
    this.heading.textContent = segment ? `Discussion: ${segment.title || `segment at ${clock(segment.start)}`}` : "Discussion";
    this.picker.hidden = true;
    this.starter.hidden = true;
    this.compose.hidden = true;
    if (!segment) return;
    const shown = segment;
    try {
      const threads = await apiAll(`/api/v1/segments/${segment.id}/threads/`);
      if (this.segment !== shown) return;
      this.threads = threads;
      this.fillPicker();
      if (threads.length) await this.openThread(threads[0]);
      else this.offerNewThread();
    } catch (error) {
      if (this.segment === shown) this.fail(error);
    }
  }

  fillPicker() {
    this.select.replaceChildren(
      ...this.threads.map((thread) => el("option", { value: thread.id }, thread.title)),
    );
    this.picker.hidden = this.threads.length === 0;
    this.select.hidden = this.threads.length < 2;
    this.select.previousElementSibling.hidden = this.threads.length < 2;
  }

  offerNewThread() {
    this.starter.hidden = false;
    this.compose.hidden = true;
    this.cancelStart.hidden = !this.thread;
    if (!this.titleInput.value) {
      this.titleInput.value = this.segment?.title ? `About ${this.segment.title}` : "About this segment";
    }
    this.titleInput.focus();
  }

  async startThread() {
    const body = this.firstMessage.value;
    const request = { title: this.titleInput.value };
    if (body.trim()) {
      request.body = body;
      if (this.attachTime.checked && typeof this.player?.currentTime === "number") {
        request.video_time = this.player.currentTime;
      }
    }
    try {
      const thread = await api(`/api/v1/segments/${this.segment.id}/threads/`, { method: "POST", body: request });
      this.threads.unshift(thread);
      this.fillPicker();
      this.titleInput.value = "";
      this.firstMessage.value = "";
      this.starter.hidden = true;
      await this.openThread(thread);
      this.body.focus();
    } catch (error) {
      this.fail(error);
    }
  }

  leaveThread() {
    if (this.unsubscribe) this.unsubscribe();
    this.unsubscribe = null;
    this.thread = null;
    this.messages.clear();
    this.lastSeq = 0;
    this.typers.clear();
    this.typing.textContent = "";
    this.presence.textContent = "";
    this.list.replaceChildren();
    this.list.hidden = true;
  }

  async openThread(thread) {
    this.leaveThread();
    this.thread = thread;
    this.select.value = thread.id;
    this.heading.textContent = `Discussion: ${thread.title}`;
    this.errorBox.textContent = "";
    try {
      let next = `/api/v1/threads/${thread.id}/messages/?since=0&page_size=${MESSAGES_PAGE_SIZE}`;
      while (next) {
        const page = await api(next);
        if (this.thread !== thread) return;
        page.results.forEach((message) => this.upsert(message));
        this.lastSeq = Math.max(this.lastSeq, page.last_seq);
        next = page.next;
      }
    } catch (error) {
      this.fail(error);
      return;
    }
    this.list.hidden = false;
    this.compose.hidden = false;
    this.unsubscribe = realtime().subscribe(`thread:${thread.id}`, {
      since: () => this.lastSeq,
      onEvent: (frame) => this.onEvent(frame),
      onError: (frame) => this.fail(frame),
    });
  }

  onEvent(frame) {
    if (Number.isInteger(frame.seq)) this.lastSeq = Math.max(this.lastSeq, frame.seq);
    const data = frame.data || {};
    switch (frame.type) {
      case "message.created":
      case "message.edited":
      case "message.deleted":
        this.upsert(data);
        this.typers.delete(data.author?.id);
        this.showTypers();
        break;
      case "typing":
        if (data.user && data.user.id !== this.userId) {
          clearTimeout(this.typers.get(data.user.id)?.timer);
          const timer = setTimeout(() => {
            this.typers.delete(data.user.id);
            this.showTypers();
          }, TYPING_SHOWN_MS);
          this.typers.set(data.user.id, { name: data.user.username, timer });
          this.showTypers();
        }
        break;
      case "presence":
        this.showPresence(data.viewers || []);
        break;
      case "thread.updated":
      case "thread.resolved":
      case "thread.reopened":
        if (data.title) this.heading.textContent = `Discussion: ${data.title}`;
        break;
      default:
        break;
    }
  }

  showTypers() {
    const names = [...this.typers.values()].map((typer) => typer.name);
    this.typing.textContent = names.length
      ? `${names.join(", ")} ${names.length > 1 ? "are" : "is"} typing…`
      : "";
  }

  showPresence(viewers) {
    const others = viewers.filter((viewer) => viewer.id !== this.userId).map((viewer) => viewer.username);
    this.presence.textContent = others.length ? `Here now: ${others.join(", ")}` : "Nobody else is here right now.";
  }

  upsert(message) {
    const known = this.messages.get(message.id);
    if (known && known.updated_seq > message.updated_seq) return;
    this.messages.set(message.id, message);
    const item = this.renderMessage(message);
    const existing = this.list.querySelector(`li[data-id="${CSS.escape(message.id)}"]`);
    if (existing) {
      existing.replaceWith(item);
      return;
    }
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    const after = [...this.list.children].find((li) => Number(li.dataset.seq) > message.seq);
    this.list.insertBefore(item, after || null);
    if (atBottom) this.list.scrollTop = this.list.scrollHeight;
  }

  renderMessage(message) {
    const mine = message.author.id === this.userId;
    const item = el("li", { class: mine ? "message mine" : "message", "data-id": message.id, "data-seq": String(message.seq) });
    const meta = el(
      "p",
      { class: "message-meta" },
      el("strong", { class: "message-author" }, message.author.username),
      " · ",
      el("time", { datetime: message.created_at }, timeOfDay(message.created_at)),
    );
    if (message.edited_at && !message.deleted) meta.append(" · edited");
    item.append(meta);
    if (message.deleted) {
      item.append(el("p", { class: "message-body muted" }, "Message deleted."));
      return item;
    }
    const body = el("div", { class: "message-body" });
    body.append(messageFragment(message.html));
    item.append(body);
    if (message.video_time != null) {
      const at = clock(message.video_time);
      item.append(el("button", { type: "button", class: "jump secondary", "data-time": String(message.video_time), "aria-label": `Jump the video to ${at}` }, `Jump to ${at}`));
    }
    return item;
  }

  sendTyping() {
    if (!this.thread || !this.body.value.trim()) return;
    const now = Date.now();
    if (now - this.lastTypingSent < TYPING_SENT_EVERY_MS) return;
    if (realtime().send({ type: "typing", topic: `thread:${this.thread.id}` })) this.lastTypingSent = now;
  }

  async post() {
    const thread = this.thread;
    const body = this.body.value;
    if (!thread) return;
    if (!body.trim()) {
      this.fail(new Error("Write a message first."));
      return;
    }
    const request = { body };
    if (this.attachTime.checked && typeof this.player?.currentTime === "number") {
      request.video_time = this.player.currentTime;
    }
    this.sendButton.disabled = true;
    this.errorBox.textContent = "";
    try {
      const message = await api(`/api/v1/threads/${thread.id}/messages/`, { method: "POST", body: request });
      if (this.thread === thread) this.upsert(message);
      this.body.value = "";
      this.attachTime.checked = false;
    } catch (error) {
      this.fail(error);
    } finally {
      this.sendButton.disabled = false;
    }
  }
}

customElements.define("practika-thread-panel", ThreadPanel);
