// The timeline under the video: a seek track (waveform, buffered and played parts, A-B loop,
// a selected range, the playhead, thumbnail previews) with a lane of segments and a lane of
// feedback markers above it. Times are clip seconds; the track shows [start, end].

import { clamp, clock, finite, spokenClock } from "./format.js";
import { thumbnailAt } from "./thumbnails.js";
import { drawWaveform } from "./waveform.js";

export const MARKER_KINDS = { comment: "Comment", praise: "Praise", fix: "Fix", drawing: "Drawing" };
// A drag shorter than this (CSS px) is a tap: it seeks instead of selecting a range.
const DRAG_THRESHOLD = 6;
const MIN_SELECTION_SECONDS = 0.1;
const WAVEFORM_COLOR = "rgba(255, 255, 255, 0.45)";
// Overlapping segments (or markers) are stacked in rows, up to this many per lane; more
// overlap the last row rather than make the player ever taller.
const MAX_ROWS = 3;
// A point marker's button is this wide (CSS px): nearby points are "overlapping" too.
const POINT_WIDTH_PX = 28;

// Rows for items given as [from, to] (any order): each goes to the first row whose last item
// ends before it starts. Returns the row of each item, by index, and the number of rows used.
export function packRows(extents, maxRows = MAX_ROWS) {
  const order = extents.map((_, index) => index).sort((a, b) => extents[a][0] - extents[b][0]);
  const rowEnds = [];
  const rows = new Array(extents.length).fill(0);
  for (const index of order) {
    const [from, to] = extents[index];
    let row = rowEnds.findIndex((end) => end <= from);
    if (row === -1) row = rowEnds.length < maxRows ? rowEnds.length : maxRows - 1;
    rowEnds[row] = Math.max(rowEnds[row] ?? -Infinity, to);
    rows[index] = row;
  }
  return { rows, count: Math.max(1, rowEnds.length) };
}

function isRangeMarker(marker) {
  return typeof marker.end_time === "number" && marker.end_time > marker.time;
}

function make(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

function tipAlignment(fraction) {
  if (fraction < 0.2) return "tip-start";
  if (fraction > 0.8) return "tip-end";
  return "tip-center";
}

// The timeline API's {entries: [...]} or {segments, markers} (segments with start/end or
// time/end_time), cleaned: unusable entries are left out rather than breaking the player.
export function readTimeline(data) {
  let segments = Array.isArray(data?.segments) ? data.segments : [];
  let markers = Array.isArray(data?.markers) ? data.markers : [];
  if (Array.isArray(data?.entries)) {
    segments = data.entries.filter((entry) => entry?.type === "segment");
    markers = data.entries.filter((entry) => entry?.type === "marker");
  }
  const cleanSegments = segments
    .map((segment) => ({
      ...segment,
      start: finite(segment.start ?? segment.time),
      end: finite(segment.end ?? segment.end_time),
    }))
    .filter((segment) => segment.start !== null && segment.end !== null && segment.end > segment.start);
  const cleanMarkers = markers
    .map((marker) => ({
      ...marker,
      time: finite(marker.time),
      end_time: marker.end_time == null ? null : finite(marker.end_time),
      kind: MARKER_KINDS[marker.kind] ? marker.kind : "comment",
      text: typeof marker.text === "string" ? marker.text : "",
    }))
    .filter((marker) => marker.time !== null);
  return { segments: cleanSegments, markers: cleanMarkers };
}

export class Timeline {
  constructor(root, callbacks) {
    this.root = root;
    this.callbacks = callbacks;
    this.segmentLane = root.querySelector("[data-lane=segments]");
    this.markerLane = root.querySelector("[data-lane=markers]");
    this.track = root.querySelector("[data-track]");
    this.waveformCanvas = root.querySelector("[data-waveform]");
    this.bufferedBox = root.querySelector("[data-buffered]");
    this.played = root.querySelector("[data-played]");
    this.loopRegion = root.querySelector("[data-loop]");
    this.loopStart = root.querySelector("[data-loop-start]");
    this.selection = root.querySelector("[data-selection]");
    this.playhead = root.querySelector("[data-playhead]");
    this.preview = root.querySelector("[data-preview]");
    this.previewImage = root.querySelector("[data-preview-image]");
    this.previewTime = root.querySelector("[data-preview-time]");
    this.start = 0;
    this.end = 0;
    this.time = 0;
    this.segments = [];
    this.markers = [];
    this.waveform = null;
    this.thumbnails = [];
    this.loop = null;
    this.pendingA = null;
    this.range = null;
    this.selectable = false;
    this.drag = null;
    this.bindPointer();
    this.bindKeys();
    this.resizeObserver = new ResizeObserver(() => this.drawWaveform());
    this.resizeObserver.observe(this.track);
  }

  destroy() {
    this.resizeObserver.disconnect();
  }

  get span() {
    return this.end - this.start;
  }

  fraction(time) {
    return this.span > 0 ? clamp((time - this.start) / this.span, 0, 1) : 0;
  }

  percent(time) {
    return `${(this.fraction(time) * 100).toFixed(3)}%`;
  }

  timeAt(clientX) {
    const box = this.track.getBoundingClientRect();
    return this.start + clamp((clientX - box.left) / Math.max(1, box.width), 0, 1) * this.span;
  }

  setWindow(start, end) {
    this.start = start;
    this.end = Math.max(start, end);
    this.track.setAttribute("aria-valuemin", String(Math.round(start * 10) / 10));
    this.track.setAttribute("aria-valuemax", String(Math.round(this.end * 10) / 10));
    this.renderEntries();
    this.drawWaveform();
    this.setTime(this.time);
    this.setLoop(this.loop, this.pendingA);
    this.setSelection(this.range);
  }

  setTime(time) {
    this.time = time;
    const position = this.percent(time);
    this.played.style.width = position;
    // A transform, not ``left``: moving the playhead every frame is then no layout shift.
    this.playhead.style.transform = `translateX(${position})`;
    this.track.setAttribute("aria-valuenow", String(Math.round(time * 10) / 10));
    this.track.setAttribute("aria-valuetext", `${spokenClock(time)} of ${spokenClock(this.end)}`);
  }

  setBuffered(ranges) {
    const bars = ranges.map(([from, to]) => {
      const bar = make("div", "buffered-range");
      bar.style.left = this.percent(from);
      bar.style.width = `${((this.fraction(to) - this.fraction(from)) * 100).toFixed(3)}%`;
      return bar;
    });
    this.bufferedBox.replaceChildren(...bars);
  }

  setLoop(loop, pendingA = null) {
    this.loop = loop;
    this.pendingA = pendingA;
    this.loopRegion.hidden = !loop;
    if (loop) {
      this.loopRegion.style.left = this.percent(loop.a);
      this.loopRegion.style.width = `${((this.fraction(loop.b) - this.fraction(loop.a)) * 100).toFixed(3)}%`;
    }
    this.loopStart.hidden = pendingA === null || Boolean(loop);
    if (pendingA !== null) this.loopStart.style.left = this.percent(pendingA);
  }

  setSelection(range) {
    this.range = range;
    this.selection.hidden = !range;
    if (range) {
      this.selection.style.left = this.percent(range.start);
      this.selection.style.width = `${((this.fraction(range.end) - this.fraction(range.start)) * 100).toFixed(3)}%`;
    }
  }

  setEntries(segments, markers) {
    this.segments = segments;
    this.markers = markers;
    this.renderEntries();
  }

  setWaveform(waveform) {
    this.waveform = waveform;
    this.drawWaveform();
  }

  setThumbnails(cues) {
    this.thumbnails = cues;
  }

  drawWaveform() {
    drawWaveform(this.waveformCanvas, this.waveform, this.start, this.end, WAVEFORM_COLOR);
  }

  visible(from, to) {
    return to >= this.start && from <= this.end;
  }

  renderEntries() {
    if (!(this.span > 0)) return;
    const segments = this.segments.filter((segment) => this.visible(segment.start, segment.end));
    const segmentRows = packRows(segments.map((segment) => [segment.start, segment.end]));
    this.fillLane(this.segmentLane, segments.map((segment) => this.segmentButton(segment)), segmentRows);
    const markers = this.markers.filter((marker) => this.visible(marker.time, marker.end_time ?? marker.time));
    // A point takes the time its button covers on the track, so neighbours do not hide it.
    const width = this.track.getBoundingClientRect().width;
    const half = width > 0 ? (POINT_WIDTH_PX / 2 / width) * this.span : this.span / 50;
    const markerRows = packRows(
      markers.map((marker) =>
        isRangeMarker(marker) ? [marker.time, marker.end_time] : [marker.time - half, marker.time + half],
      ),
    );
    this.fillLane(this.markerLane, markers.map((marker) => this.markerButton(marker)), markerRows);
  }

  fillLane(lane, buttons, { rows, count }) {
    buttons.forEach((button, index) => button.style.setProperty("--row", String(rows[index])));
    lane.style.setProperty("--rows", String(count));
    lane.replaceChildren(...buttons);
  }

  segmentButton(segment) {
    const title = segment.title || "Segment";
    const range = `${clock(segment.start)}–${clock(segment.end)}`;
    const button = make("button", `segment ${tipAlignment(this.fraction(segment.start))}`);
    button.type = "button";
    button.dataset.id = segment.id;
    button.style.left = this.percent(segment.start);
    button.style.width = `${((this.fraction(segment.end) - this.fraction(segment.start)) * 100).toFixed(3)}%`;
    button.setAttribute("aria-label", `Segment ${title}, ${range}`);
    button.append(make("span", "segment-title", title));
    const tip = make("span", "tip", "");
    tip.setAttribute("role", "tooltip");
    tip.append(make("strong", "", title), make("span", "", ` ${range}`));
    button.append(tip);
    button.addEventListener("click", () => this.callbacks.onSegment(segment));
    return button;
  }

  markerButton(marker) {
    const kind = MARKER_KINDS[marker.kind] ? marker.kind : "comment";
    const isRange = isRangeMarker(marker);
    const when = isRange ? `${clock(marker.time)}–${clock(marker.end_time)}` : clock(marker.time);
    const button = make("button", `marker kind-${kind} ${isRange ? "marker-range" : "marker-point"}`);
    button.type = "button";
    button.dataset.id = marker.id;
    button.dataset.kind = kind;
    button.classList.add(tipAlignment(this.fraction(marker.time)));
    button.style.left = this.percent(marker.time);
    if (isRange) {
      button.style.width = `${((this.fraction(marker.end_time) - this.fraction(marker.time)) * 100).toFixed(3)}%`;
    }
    const text = marker.text || (marker.drawing ? "A drawing on the video" : "");
    button.setAttribute("aria-label", `${MARKER_KINDS[kind]} at ${when}${text ? `: ${text}` : ""}`);
    button.append(make("span", "marker-pin"));
    const tip = make("span", "tip");
    tip.setAttribute("role", "tooltip");
    tip.setAttribute("aria-hidden", "true");
    tip.append(make("strong", "", `${MARKER_KINDS[kind]} · ${when}`));
    if (text) tip.append(make("span", "tip-text", text));
    button.append(tip);
    button.addEventListener("click", () => this.callbacks.onMarker(marker));
    return button;
  }

  showPreview(time, clientX) {
    const box = this.track.getBoundingClientRect();
    const cue = thumbnailAt(this.thumbnails, time);
    this.previewTime.textContent = clock(time);
    this.previewImage.hidden = !cue;
    if (cue) {
      this.previewImage.style.width = `${cue.width}px`;
      this.previewImage.style.height = `${cue.height}px`;
      // An href from new URL() is percent-encoded already; quotes and backslashes, just in
      // case, are encoded too so the CSS string cannot end early.
      const safe = cue.url.replace(/["\\\n]/g, (character) => encodeURIComponent(character));
      this.previewImage.style.backgroundImage = `url("${safe}")`;
      this.previewImage.style.backgroundPosition = `-${cue.x}px -${cue.y}px`;
    }
    this.preview.hidden = false;
    const half = this.preview.offsetWidth / 2;
    const x = clamp(clientX - box.left, half, Math.max(half, box.width - half));
    this.preview.style.left = `${x}px`;
  }

  hidePreview() {
    this.preview.hidden = true;
  }

  bindPointer() {
    const track = this.track;
    track.addEventListener("pointerdown", (event) => {
      if (event.button !== 0 || !(this.span > 0)) return;
      event.preventDefault();
      track.focus({ preventScroll: true });
      track.setPointerCapture(event.pointerId);
      const onHandle = Boolean(event.target.closest?.("[data-playhead]"));
      const time = this.timeAt(event.clientX);
      this.drag = { mode: this.selectable && !onHandle ? "select" : "scrub", x: event.clientX, time, moved: false };
      if (this.drag.mode === "scrub") {
        this.callbacks.onScrub(true);
        this.callbacks.onSeek(time);
      }
      this.showPreview(time, event.clientX);
    });
    track.addEventListener("pointermove", (event) => {
      const time = this.timeAt(event.clientX);
      if (!this.drag) {
        if (event.pointerType === "mouse") this.showPreview(time, event.clientX);
        return;
      }
      this.drag.moved ||= Math.abs(event.clientX - this.drag.x) >= DRAG_THRESHOLD;
      this.showPreview(time, event.clientX);
      if (this.drag.mode === "scrub") {
        this.callbacks.onSeek(time);
      } else if (this.drag.moved) {
        this.setSelection({ start: Math.min(this.drag.time, time), end: Math.max(this.drag.time, time) });
      }
    });
    const finish = (event, cancelled) => {
      const drag = this.drag;
      if (!drag) return;
      this.drag = null;
      if (event.pointerType !== "mouse") this.hidePreview();
      if (drag.mode === "scrub") {
        this.callbacks.onScrub(false);
        return;
      }
      const time = this.timeAt(event.clientX);
      const start = Math.min(drag.time, time);
      const end = Math.max(drag.time, time);
      if (cancelled) {
        this.setSelection(null);
      } else if (!drag.moved) {
        this.callbacks.onSeek(time);
      } else if (end - start >= MIN_SELECTION_SECONDS) {
        this.setSelection({ start, end });
        this.callbacks.onRangeSelect(start, end);
      } else {
        this.setSelection(null);
      }
    };
    track.addEventListener("pointerup", (event) => finish(event, false));
    track.addEventListener("pointercancel", (event) => finish(event, true));
    track.addEventListener("pointerleave", () => {
      if (!this.drag) this.hidePreview();
    });
  }

  bindKeys() {
    this.track.addEventListener("keydown", (event) => {
      const steps = { ArrowLeft: -1, ArrowRight: 1, ArrowDown: -1, ArrowUp: 1, PageDown: -10, PageUp: 10 };
      let target = null;
      if (event.key in steps) target = this.time + steps[event.key] * (event.shiftKey ? 5 : 1);
      else if (event.key === "Home") target = this.start;
      else if (event.key === "End") target = this.end;
      if (target === null) return;
      event.preventDefault();
      event.stopPropagation();
      this.callbacks.onSeek(clamp(target, this.start, this.end));
    });
    this.track.addEventListener("blur", () => this.hidePreview());
  }
}
