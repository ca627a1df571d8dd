// The feedback on a take, as its student sees it: markers seek the player (and the player's
// marker clicks lead back to them), segments loop and open their threads, and a feedback
// published while the page is open is announced.

import { api } from "./api.js";
import { realtime, showConnectionState } from "./realtime.js";
import { clockRange } from "./time.js";
import "./thread-panel.js";

const config = JSON.parse(document.getElementById("feedback-config").textContent);
const player = document.getElementById("feedback-player");
const panel = document.querySelector("practika-thread-panel");
const status = document.getElementById("feedback-status");

for (const button of document.querySelectorAll(".marker-seek")) {
  button.addEventListener("click", () => {
    const start = Number(button.dataset.time);
    if (button.dataset.end) player.setLoop?.(start, Number(button.dataset.end));
    player.seek?.(start);
    player.play?.();
  });
}

player.addEventListener("practika:marker-click", (event) => {
  const marker = event.detail.marker || {};
  const item = marker.id ? document.getElementById(`marker-${marker.id}`) : null;
  if (!item) return;
  document.querySelectorAll(".marker.current").forEach((other) => other.classList.remove("current"));
  item.classList.add("current");
  item.scrollIntoView({ block: "nearest", behavior: "smooth" });
  item.focus({ preventScroll: true });
});

player.addEventListener("practika:error", (event) => {
  status.textContent = event.detail.message;
  status.classList.add("error");
});

// The timeline API gives teachers their drafts too; this page shows what the student sees.
// The player loaded the timeline long before its video was ready, so this replaces it.
if (!config.is_owner) {
  player.addEventListener("practika:ready", async () => {
    try {
      const timeline = await api(`/api/v1/clips/${config.take.id}/timeline/`);
      const entries = timeline.entries.filter((entry) => entry.type === "segment" || entry.status === "published");
      player.setTimeline?.({ entries });
    } catch {
      // The player keeps the timeline it loaded.
    }
  }, { once: true });
}

const segmentButtons = [...document.querySelectorAll(".segment-select")];
for (const button of segmentButtons) {
  button.addEventListener("click", () => {
    const segment = {
      id: button.dataset.id,
      start: Number(button.dataset.start),
      end: Number(button.dataset.end),
      title: button.dataset.title,
    };
    segmentButtons.forEach((other) => other.setAttribute("aria-pressed", String(other === button)));
    player.setLoop?.(segment.start, segment.end);
    player.seek?.(segment.start);
    panel.showSegment(segment);
    status.classList.remove("error");
    status.textContent = `Looping “${segment.title || "segment"}” (${clockRange(segment.start, segment.end)}).`;
  });
}

player.addEventListener("practika:segment-click", (event) => {
  const button = segmentButtons.find((item) => item.dataset.id === event.detail.segment.id);
  if (button) button.click();
});

realtime().subscribe(`clip:${config.take.id}`, {
  onEvent: (frame) => {
    if (frame.type !== "feedback.published") return;
    const news = document.getElementById("feedback-news");
    const link = document.createElement("a");
    link.href = location.pathname;
    link.textContent = "Reload to read it";
    news.replaceChildren(`New feedback from ${frame.data.author.username} was just published. `, link);
    news.hidden = false;
  },
});
showConnectionState(document.getElementById("connection-status"));
