// A lesson's "Your progress" panel: next to each practised exercise, the teacher's latest
// published feedback (which take, the rubric scores, a link to it). The panel already says
// which exercises are done; this only adds what the feedback plugin knows, when it is there.

import { apiAll } from "./api.js";

function scoreText(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

async function latestFeedback(exerciseId, userId) {
  const attempts = await apiAll(`exercises/${exerciseId}/attempts/?student=${userId}`);
  const reviewed = attempts.filter((a) => a.feedback_count > 0);
  return reviewed.sort((a, b) => (b.attempt_number || 0) - (a.attempt_number || 0))[0] || null;
}

async function fill(slot, userId) {
  let take;
  try {
    take = await latestFeedback(slot.dataset.feedbackFor, userId);
  } catch {
    return; // no feedback plugin, or offline: the panel stays as the server rendered it
  }
  if (!take) {
    slot.textContent = "No feedback yet.";
    slot.classList.add("muted");
    return;
  }
  const link = document.createElement("a");
  link.href = `/feedback/clips/${take.id}/`;
  link.textContent = `Feedback on take ${take.attempt_number}`;
  const scores = (take.scores || []).map((s) => `${s.name} ${scoreText(s.score)}/${s.max_score}`);
  slot.replaceChildren(link, scores.length ? `: ${scores.join(" · ")}` : "");
}

const list = document.querySelector("[data-progress]");
if (list) {
  for (const slot of list.querySelectorAll("[data-feedback-for]")) fill(slot, list.dataset.userId);
}
