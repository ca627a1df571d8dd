// The review room: cut segments by dragging on the player's timeline, loop them, add markers
// at the playhead (the video pauses while the teacher types) or drawn on the frame, score the
// rubric, write the summary, record a video reply, publish, and talk in the segment's thread.
// The draft feedback is created on the first thing that needs it.

import { api, apiAll } from "./api.js";
import { showConnectionState } from "./realtime.js";
import { VideoReply } from "./reply.js";
import { clock, clockRange } from "./time.js";
import "./thread-panel.js";

const config = JSON.parse(document.getElementById("review-config").textContent);
const take = config.take;
const criteria = new Map(config.criteria.map((criterion) => [criterion.id, criterion]));
const player = document.getElementById("review-player");
const panel = document.querySelector("practika-thread-panel");
const $ = (selector) => document.querySelector(selector);

const status = $("#review-status");
const segmentList = $("#segment-list");
const markerList = $("#marker-list");
const segmentForm = $("#segment-form");
const markerForm = $("#marker-form");
const drawingTools = $("#drawing-tools");
const feedbackForm = $("#feedback-form");
const feedbackStatus = $("#feedback-status");
const publishButton = $("#publish-feedback");

let feedback = config.feedback;
let creatingFeedback = null;
let segments = [];
let selectedSegmentId = null;
let pendingRange = null;
let pendingDrawing = null;

function say(text, isError = false, where = status) {
  where.textContent = text;
  where.classList.toggle("error", isError);
}

function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value == null) continue;
    element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children);
  return element;
}

async function ensureFeedback() {
  if (feedback) return feedback;
  creatingFeedback ??= api(`/api/v1/clips/${take.id}/feedback/`, { method: "POST", body: {} });
  try {
    feedback = await creatingFeedback;
  } finally {
    creatingFeedback = null;
  }
  showFeedbackState();
  return feedback;
}

function refreshTimeline() {
  if (typeof player.reloadTimeline === "function") player.reloadTimeline();
}

// --- segments -------------------------------------------------------------------------------

function renderSegments() {
  const items = segments.map((segment) => {
    const selected = segment.id === selectedSegmentId;
    const label = segment.title || "Untitled segment";
    return el(
      "li",
      { class: selected ? "segment selected" : "segment", "data-id": segment.id },
      el(
        "button",
        { type: "button", class: "segment-select", "aria-pressed": String(selected), "data-id": segment.id },
        el("span", { class: "segment-title" }, label),
        " ",
        el("span", { class: "segment-range" }, clockRange(segment.start, segment.end)),
      ),
      el("button", { type: "button", class: "secondary segment-delete", "data-id": segment.id, "aria-label": `Delete segment ${label}` }, "Delete"),
    );
  });
  segmentList.replaceChildren(...items);
  $("#segments-empty").hidden = segments.length > 0;
}

function selectSegment(segment) {
  selectedSegmentId = segment.id;
  renderSegments();
  player.setLoop?.(segment.start, segment.end);
  player.seek?.(segment.start);
  panel.showSegment(segment);
  say(`Looping “${segment.title || "segment"}” (${clockRange(segment.start, segment.end)}).`);
}

async function loadSegments() {
  try {
    segments = await apiAll(`/api/v1/clips/${take.id}/segments/`);
    renderSegments();
  } catch (error) {
    say(`Could not load the segments: ${error.message}`, true);
  }
}

function openSegmentForm(start, end) {
  pendingRange = { start, end };
  $("#segment-range").textContent = clockRange(start, end);
  segmentForm.hidden = false;
  $("#segment-title").focus();
}

segmentForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!pendingRange) return;
  const title = $("#segment-title").value.trim();
  try {
    const segment = await api(`/api/v1/clips/${take.id}/segments/`, {
      method: "POST",
      body: { start: pendingRange.start, end: pendingRange.end, title },
    });
    segments.push(segment);
    segments.sort((a, b) => a.start - b.start || a.end - b.end);
    segmentForm.hidden = true;
    segmentForm.reset();
    pendingRange = null;
    refreshTimeline();
    selectSegment(segment);
    say(`Segment “${segment.title || "Untitled"}” cut at ${clockRange(segment.start, segment.end)}.`);
  } catch (error) {
    say(`The segment was not saved: ${error.message}`, true);
  }
});

$("#segment-cancel").addEventListener("click", () => {
  segmentForm.hidden = true;
  segmentForm.reset();
  pendingRange = null;
});

segmentList.addEventListener("click", async (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  const segment = segments.find((item) => item.id === button.dataset.id);
  if (!segment) return;
  if (button.classList.contains("segment-select")) {
    selectSegment(segment);
    return;
  }
  if (!window.confirm(`Delete the segment “${segment.title || "Untitled"}” and its threads?`)) return;
  try {
    await api(`/api/v1/segments/${segment.id}/`, { method: "DELETE" });
    segments = segments.filter((item) => item.id !== segment.id);
    if (selectedSegmentId === segment.id) {
      selectedSegmentId = null;
      player.clearLoop?.();
      panel.showSegment(null);
    }
    renderSegments();
    refreshTimeline();
    say("Segment deleted.");
  } catch (error) {
    say(`The segment was not deleted: ${error.message}`, true);
  }
});

player.addEventListener("practika:range-select", (event) => {
  const { start, end } = event.detail;
  if (end - start > 0.05) openSegmentForm(start, end);
});

player.addEventListener("practika:segment-click", (event) => {
  const segment = segments.find((item) => item.id === event.detail.segment.id);
  if (segment) selectSegment(segment);
});

// The keyboard's way to cut: A and B (or [ and ]) set a loop in the player.
$("#segment-from-loop").addEventListener("click", () => {
  const loop = player.loopRange;
  if (!loop) {
    say("Set a loop first: press A at its start and B at its end (or the [ and ] keys).", true);
    return;
  }
  openSegmentForm(loop.a, loop.b);
});

player.addEventListener("practika:marker-click", (event) => {
  const item = markerList.querySelector(`li[data-id="${CSS.escape(event.detail.marker.id || "")}"]`);
  if (!item) return;
  markerList.querySelectorAll(".current").forEach((other) => other.classList.remove("current"));
  item.classList.add("current");
  item.scrollIntoView({ block: "nearest", behavior: "smooth" });
});

$("#clear-loop").addEventListener("click", () => {
  player.clearLoop?.();
  selectedSegmentId = null;
  renderSegments();
  say("Loop cleared.");
});

// --- markers --------------------------------------------------------------------------------

const KIND_LABELS = { comment: "Comment", praise: "Praise", fix: "Fix", drawing: "Drawing" };

function renderMarkers() {
  const markers = feedback ? [...feedback.markers].sort((a, b) => a.time - b.time) : [];
  markerList.replaceChildren(
    ...markers.map((marker) => {
      const at = clockRange(marker.time, marker.end_time);
      const criterion = marker.criterion_id ? criteria.get(marker.criterion_id) : null;
      const item = el(
        "li",
        { class: `marker kind-${marker.kind}`, "data-id": marker.id },
        el("button", { type: "button", class: "marker-seek secondary", "data-time": String(marker.time), "aria-label": `Go to ${at}` }, at),
        " ",
        el("span", { class: `badge kind kind-${marker.kind}` }, KIND_LABELS[marker.kind] || marker.kind),
      );
      if (criterion) item.append(" ", el("span", { class: "badge" }, criterion.name));
      item.append(el("button", { type: "button", class: "secondary marker-delete", "data-id": marker.id, "aria-label": `Delete the marker at ${at}` }, "Delete"));
      if (marker.text) item.append(el("p", { class: "marker-text" }, marker.text));
      return item;
    }),
  );
  $("#markers-empty").hidden = markers.length > 0;
}

function openMarkerForm({ time, kind = "comment", drawing = null }) {
  player.pause?.();
  pendingDrawing = drawing;
  $("#marker-time").value = time.toFixed(2);
  $("#marker-end").value = "";
  const kindSelect = $("#marker-kind");
  kindSelect.value = kind;
  kindSelect.disabled = kind === "drawing";
  $("#marker-drawing-note").hidden = kind !== "drawing";
  $("#marker-at").textContent = clock(time);
  markerForm.hidden = false;
  $("#marker-text").focus();
}

function closeMarkerForm() {
  markerForm.hidden = true;
  markerForm.reset();
  pendingDrawing = null;
}

$("#add-marker").addEventListener("click", () => openMarkerForm({ time: player.currentTime || 0 }));

// The video must not run on while the teacher writes about a moment of it.
markerForm.addEventListener("input", () => {
  if (!player.paused) player.pause?.();
});

$("#marker-end-now").addEventListener("click", () => {
  $("#marker-end").value = (player.currentTime || 0).toFixed(2);
});

$("#marker-cancel").addEventListener("click", closeMarkerForm);

markerForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const end = $("#marker-end").value;
  const body = {
    time: Number($("#marker-time").value),
    end_time: end === "" ? null : Number(end),
    kind: $("#marker-kind").value,
    text: $("#marker-text").value,
    drawing: pendingDrawing,
    criterion_id: $("#marker-criterion").value || null,
  };
  try {
    const current = await ensureFeedback();
    const marker = await api(`/api/v1/feedback/${current.id}/markers/`, { method: "POST", body });
    feedback.markers.push(marker);
    renderMarkers();
    refreshTimeline();
    closeMarkerForm();
    say(`${KIND_LABELS[marker.kind]} marker added at ${clock(marker.time)}.`);
  } catch (error) {
    say(`The marker was not saved: ${error.message}`, true);
  }
});

markerList.addEventListener("click", async (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  if (button.classList.contains("marker-seek")) {
    player.seek?.(Number(button.dataset.time));
    return;
  }
  if (!button.classList.contains("marker-delete")) return;
  try {
    await api(`/api/v1/markers/${button.dataset.id}/`, { method: "DELETE" });
    feedback.markers = feedback.markers.filter((marker) => marker.id !== button.dataset.id);
    renderMarkers();
    refreshTimeline();
    say("Marker deleted.");
  } catch (error) {
    say(`The marker was not deleted: ${error.message}`, true);
  }
});

// --- drawing --------------------------------------------------------------------------------

function drawingOptions() {
  return {
    tool: $("#drawing-tool").value,
    color: $("#drawing-color").value,
    width: Number($("#drawing-width").value),
  };
}

$("#start-drawing").addEventListener("click", () => {
  player.pause?.();
  drawingTools.hidden = false;
  player.beginDrawing?.(drawingOptions());
  say("Draw on the video, then press “Done”.");
  $("#drawing-tool").focus();
});

// While drawing, beginDrawing changes the style of the shapes still to come.
for (const selector of ["#drawing-tool", "#drawing-color", "#drawing-width"]) {
  $(selector).addEventListener("change", () => player.beginDrawing?.(drawingOptions()));
}

$("#drawing-done").addEventListener("click", () => {
  const drawing = player.endDrawing?.();
  drawingTools.hidden = true;
  if (!drawing || !drawing.shapes || !drawing.shapes.length) {
    say("Nothing was drawn.");
    return;
  }
  openMarkerForm({ time: player.currentTime || 0, kind: "drawing", drawing });
});

$("#drawing-cancel").addEventListener("click", () => {
  player.cancelDrawing?.();
  drawingTools.hidden = true;
  say("Drawing discarded.");
});

// --- rubric, summary, publishing ------------------------------------------------------------

function showFeedbackState() {
  const published = feedback && feedback.status === "published";
  publishButton.hidden = Boolean(published);
  $("#save-feedback").textContent = published ? "Save changes" : "Save draft";
  $("#feedback-state").textContent = !feedback
    ? "Not started: your first marker, score or save starts a draft."
    : published
      ? "Published: the student sees it. Changes you save are shown to them too."
      : "Draft: only teachers of the course see it until you publish.";
}

function formScores() {
  const scores = [];
  for (const input of feedbackForm.querySelectorAll("input[data-criterion]")) {
    if (input.value !== "") scores.push({ criterion_id: input.dataset.criterion, score: Number(input.value) });
  }
  return scores;
}

async function saveFeedback() {
  if (!feedbackForm.reportValidity()) throw new Error("Check the scores: each is a whole number within its range.");
  const current = await ensureFeedback();
  feedback = await api(`/api/v1/feedback/${current.id}/`, {
    method: "PATCH",
    body: { summary: $("#feedback-summary").value, scores: formScores() },
  });
  showFeedbackState();
  return feedback;
}

feedbackForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await saveFeedback();
    say("Saved.", false, feedbackStatus);
  } catch (error) {
    say(`Not saved: ${error.message}`, true, feedbackStatus);
  }
});

publishButton.addEventListener("click", async () => {
  publishButton.disabled = true;
  try {
    const saved = await saveFeedback();
    feedback = await api(`/api/v1/feedback/${saved.id}/publish/`, { method: "POST" });
    showFeedbackState();
    say("Published. The student has been told.", false, feedbackStatus);
  } catch (error) {
    say(`Not published: ${error.message}`, true, feedbackStatus);
  } finally {
    publishButton.disabled = false;
  }
});

// --- the rest -------------------------------------------------------------------------------

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  if (!markerForm.hidden) closeMarkerForm();
  else if (!segmentForm.hidden) $("#segment-cancel").click();
  else if (!drawingTools.hidden) $("#drawing-cancel").click();
});

player.addEventListener("practika:error", (event) => say(event.detail.message, true));

new VideoReply($("#reply"), { ensureFeedback, reply: feedback ? feedback.reply : null });
showConnectionState($("#connection-status"));
showFeedbackState();
renderMarkers();
loadSegments();
