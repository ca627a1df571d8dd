// <practika-attempts>: the student's takes of an exercise, newest first, each with its status,
// the teacher's latest published feedback (summary, rubric scores) and links to watch it, over
// a chart of rubric scores across takes. Replaces the plain list the server rendered.

import { apiAll } from "./api.js";
import { scoreChart } from "./chart.js";
import { STATUS_LABELS, formatDuration } from "./messages.js";

const MARKER_WORDS = { comment: ["comment", "comments"], praise: ["praise", "praise"], fix: ["fix", "fixes"], drawing: ["drawing", "drawings"] };

function node(tag, { className, text, attrs } = {}) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text != null) element.textContent = text;
  for (const [key, value] of Object.entries(attrs || {})) element.setAttribute(key, value);
  return element;
}

function dateText(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? ""
    : date.toLocaleString(undefined, { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
}

function latestPublished(feedback) {
  return feedback
    .filter((item) => item.status === "published")
    .sort((a, b) => String(b.published_at).localeCompare(String(a.published_at)))[0];
}

function scoreText(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

class PractikaAttempts extends HTMLElement {
  connectedCallback() {
    if (this.wired) {
      this.resizes.observe(this);
      return;
    }
    this.wired = true;
    this.list = this.querySelector("[data-attempt-list]");
    this.chart = this.querySelector("[data-chart]");
    this.status = this.querySelector("[data-attempts-status]");
    this.list.addEventListener("click", (event) => this.watchClicked(event));
    // The chart is drawn at its real width: redraw when that changes (rotation, resizing).
    this.resizes = new ResizeObserver(() => {
      const width = this.chart.clientWidth;
      if (this.charted && width && Math.abs(width - this.chartWidth) > 16) this.renderChart(this.charted);
    });
    this.resizes.observe(this);
    this.refresh();
  }

  disconnectedCallback() {
    this.resizes.disconnect();
  }

  get exerciseId() {
    return this.dataset.exerciseId;
  }

  // Reloads the history (after a new take, a status change); calls made meanwhile coalesce.
  refresh() {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = this.load().finally(() => {
      this.loading = null;
      if (this.again) {
        this.again = false;
        this.refresh();
      }
    });
    return this.loading;
  }

  async load() {
    let attempts;
    try {
      attempts = await apiAll(`exercises/${this.exerciseId}/attempts/?student=${this.dataset.userId}`);
    } catch {
      attempts = await this.takesWithoutFeedback();
    }
    if (attempts === null) return;
    const reviewed = attempts.filter((a) => a.feedback_count > 0);
    const feedback = await Promise.all(
      reviewed.map((a) => apiAll(`clips/${a.id}/feedback/`).catch(() => [])),
    );
    const latest = new Map(reviewed.map((a, i) => [a.id, latestPublished(feedback[i])]));
    this.status.textContent = "";
    this.render(attempts, latest);
  }

  // The attempts route belongs to the feedback plugin: without it (or while it fails), the
  // takes alone from the clips API.
  async takesWithoutFeedback() {
    try {
      const clips = await apiAll(
        `clips/?exercise=${this.exerciseId}&owner=${this.dataset.userId}&kind=take&ordering=attempt_number`,
      );
      return clips.map((clip) => ({ ...clip, feedback_count: 0, scores: [], marker_counts: null }));
    } catch {
      this.status.textContent = "Your attempts could not be loaded just now; this list may be out of date.";
      return null;
    }
  }

  render(attempts, latest) {
    const ordered = [...attempts].sort((a, b) => (a.attempt_number || 0) - (b.attempt_number || 0));
    const items = [...ordered].reverse().map((attempt) => this.item(attempt, latest.get(attempt.id)));
    if (!items.length) {
      items.push(node("li", { className: "attempt attempt-empty muted", text: "No takes yet. Your first one will show here." }));
    }
    this.list.replaceChildren(...items);
    this.renderChart(ordered);
  }

  renderChart(ordered) {
    this.charted = ordered;
    this.chartWidth = this.chart.clientWidth || this.clientWidth;
    const chart = scoreChart(ordered, { titleId: `score-chart-${this.exerciseId}`, width: this.chartWidth });
    const caption = node("figcaption", { text: "Rubric scores across your takes" });
    if (!chart) {
      this.chart.hidden = !ordered.length;
      this.chart.replaceChildren(caption, node("p", { className: "muted", text: "Scores appear here once your teacher has reviewed a take." }));
      return;
    }
    this.chart.hidden = false;
    this.chart.replaceChildren(caption, chart.svg, chart.legend);
  }

  item(attempt, feedback) {
    const li = node("li", { className: "attempt" });
    li.dataset.takeId = attempt.id;
    const head = node("p", { className: "attempt-head" });
    head.append(node("strong", { text: `Take ${attempt.attempt_number}` }), " ");
    head.append(node("span", { className: `status status-${attempt.status}`, text: STATUS_LABELS[attempt.status] || attempt.status }), " ");
    head.append(node("time", { className: "muted", text: dateText(attempt.created_at), attrs: { datetime: attempt.created_at } }));
    if (attempt.duration) head.append(" ", node("span", { className: "muted", text: `· ${formatDuration(attempt.duration)}` }));
    li.append(head);

    if (feedback) {
      const box = node("div", { className: "attempt-feedback" });
      const who = feedback.author && feedback.author.username ? `Feedback from ${feedback.author.username}` : "Teacher’s feedback";
      box.append(node("p", { className: "attempt-feedback-title", text: who }));
      if (feedback.summary) box.append(node("blockquote", { className: "attempt-summary", text: feedback.summary }));
      li.append(box);
    } else if (attempt.status === "ready") {
      li.append(node("p", { className: "muted attempt-waiting", text: "No feedback yet." }));
    }

    const scores = (feedback && feedback.scores && feedback.scores.length ? feedback.scores : attempt.scores) || [];
    if (scores.length) {
      const list = node("ul", { className: "attempt-scores", attrs: { "aria-label": `Rubric scores of take ${attempt.attempt_number}` } });
      for (const item of scores) {
        const entry = node("li");
        entry.append(`${item.name} `, node("strong", { text: `${scoreText(item.score)}/${item.max_score}` }));
        list.append(entry);
      }
      li.append(list);
    }

    const counts = attempt.marker_counts;
    if (counts) {
      const words = Object.entries(MARKER_WORDS)
        .filter(([kind]) => counts[kind])
        .map(([kind, [one, many]]) => `${counts[kind]} ${counts[kind] === 1 ? one : many}`);
      if (words.length) li.append(node("p", { className: "muted attempt-markers", text: `On the timeline: ${words.join(" · ")}` }));
    }

    const links = node("p", { className: "attempt-links" });
    if (attempt.status === "ready") {
      const watch = node("a", { text: `Watch take ${attempt.attempt_number}`, attrs: { href: `?take=${attempt.id}#take-heading` } });
      watch.dataset.watch = attempt.id;
      watch.dataset.attempt = attempt.attempt_number;
      links.append(watch);
    }
    if (attempt.feedback_count > 0) {
      links.append(node("a", { text: "Open the feedback", attrs: { href: `/feedback/clips/${attempt.id}/` } }));
    }
    if (links.childNodes.length) li.append(links);
    return li;
  }

  watchClicked(event) {
    const link = event.target.closest("a[data-watch]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const detail = { takeId: link.dataset.watch, attemptNumber: link.dataset.attempt || "" };
    const handled = !this.dispatchEvent(new CustomEvent("practika:watch", { bubbles: true, cancelable: true, detail }));
    if (handled) event.preventDefault();
  }
}

customElements.define("practika-attempts", PractikaAttempts);

