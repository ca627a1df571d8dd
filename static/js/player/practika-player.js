// <practika-player>: the one video player of Practika (practice room, review room, feedback).
//
// Attributes: streams-url (GET -> the streams JSON of a clip or a segment), timeline-url
// (optional, GET -> {entries: [...]} of segments and markers), compare-streams-url (optional:
// a second video side by side), compare-label, selectable (dragging on the timeline selects a
// range), label (accessible name), and hints a page may give: fps (frame step; else the
// playlist's FRAME-RATE, else 30), aspect-ratio ("16 / 9": the box reserved before the video
// loads), engine ("auto" | "native" | "hls.js").
//
// Times are clip seconds everywhere, segments included: a segment's player reports and seeks
// in its clip's time and stays inside [start, end]. ``duration`` is where playback ends.
//
// Methods: play(), pause(), seek(s), setLoop(a, b), clearLoop(), setTimeline({segments,
// markers} or {entries}), reloadTimeline(), clearSelection(), beginDrawing({tool, color,
// width}), endDrawing() -> {shapes} | null, cancelDrawing(), undoDrawing().
// Events (bubbling): practika:ready {duration}, practika:timeupdate {time},
// practika:range-select {start, end}, practika:marker-click {marker},
// practika:segment-click {segment}, practika:error {message}.

import {
  DEFAULT_STYLE,
  DrawingSession,
  cleanStyle,
  drawShapes,
  frameRect,
  prepareCanvas,
} from "./annotations.js";
import { ComparePane } from "./compare.js";
import { ENGINES, attachStream } from "./engine.js";
import { LoadError, clamp, clock, fetchJSON, fetchText, finite } from "./format.js";
import { ICONS, SHORTCUTS, SPEEDS, TEMPLATE } from "./template.js";
import { parseThumbnailsVtt } from "./thumbnails.js";
import { isTyping, shortcutFor } from "./shortcuts.js";
import { MARKER_KINDS, Timeline, readTimeline } from "./timeline.js";
import { readWaveform } from "./waveform.js";

const STYLESHEET_URL = new URL("../../css/player.css", import.meta.url).href;
const DEFAULT_FPS = 30;
// A marker's drawing stays on screen this long when the marker is a point in time.
const DRAWING_SECONDS = 1.5;
const MIN_LOOP_SECONDS = 0.1;
// Playback this close to the end of a segment or loop counts as having reached it.
const END_TOLERANCE = 0.03;
const RETRY_DELAYS = [1, 2, 4, 8, 15, 30];

let stylesheet = null;

function loadStylesheet() {
  // One shared sheet for every player on the page, adopted by each shadow root.
  stylesheet ||= fetch(STYLESHEET_URL)
    .then((response) => (response.ok ? response.text() : Promise.reject(new Error(response.statusText))))
    .then((text) => {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(text);
      return sheet;
    })
    .catch(() => null);
  return stylesheet;
}

class PractikaPlayer extends HTMLElement {
  static get observedAttributes() {
    return [
      "streams-url",
      "timeline-url",
      "compare-streams-url",
      "compare-label",
      "selectable",
      "label",
      "fps",
      "aspect-ratio",
      "mirrored",
    ];
  }

  constructor() {
    super();
    this.source = null;
    this.streams = null;
    this.isSegment = false;
    this.base = 0;
    this.rangeStart = 0;
    this.rangeEnd = Number.NaN;
    this.loop = null;
    this.pendingA = null;
    this.entries = { segments: [], markers: [] };
    this.session = null;
    this.wasPlaying = false;
    this.frameRequest = 0;
    this.loadToken = 0;
    this.retryCount = 0;
    this.retryTimer = 0;
    this.hasPlayed = false;
    this.announcedReady = false;
    this.activeDrawings = "";
    this.pendingResume = {};
    this.detachedAt = 0;
    this.building = false;
    this.onFullscreenChange = () => this.renderFullscreen();
    this.onOnline = () => {
      if (this.retryTimer) this.retryNow();
    };
  }

  // -- lifecycle -------------------------------------------------------------------------

  async connectedCallback() {
    if (this.shadowRoot) {
      // Moved elsewhere in the page: disconnectedCallback let go of the stream; carry on
      // from the same place.
      this.listenGlobally(true);
      if (!this.source) this.load(this.streams ? { resumeAt: this.detachedAt, resumePlaying: false } : {});
      return;
    }
    if (this.building) return;
    this.building = true;
    const sheet = await loadStylesheet();
    this.building = false;
    if (!this.isConnected || this.shadowRoot) return;
    const root = this.attachShadow({ mode: "open" });
    if (sheet) root.adoptedStyleSheets = [sheet];
    else root.innerHTML = `<link rel="stylesheet" href="${STYLESHEET_URL}">`;
    const template = document.createElement("template");
    template.innerHTML = TEMPLATE;
    root.append(template.content.cloneNode(true));
    this.setUp(root);
    this.listenGlobally(true);
    this.load();
    this.reloadTimeline();
  }

  disconnectedCallback() {
    if (!this.shadowRoot) return;
    this.listenGlobally(false);
    this.stopLoop();
    clearTimeout(this.retryTimer);
    this.loadToken += 1;
    this.detachedAt = this.currentTime;
    this.source?.destroy();
    this.source = null;
    this.compare?.close();
  }

  listenGlobally(on) {
    const method = on ? "addEventListener" : "removeEventListener";
    document[method]("fullscreenchange", this.onFullscreenChange);
    window[method]("online", this.onOnline);
  }

  attributeChangedCallback(name, previous, value) {
    if (!this.shadowRoot || previous === value) {
      if (name === "aspect-ratio") this.applyAspectRatio();
      return;
    }
    if (name === "streams-url") this.load();
    else if (name === "timeline-url") this.reloadTimeline();
    else if (name === "compare-streams-url") this.resetCompare();
    else if (name === "compare-label") this.el.compareLabel.textContent = this.compareLabel;
    else if (name === "selectable") this.timeline.selectable = this.selectable;
    else if (name === "label") this.applyLabel();
    else if (name === "aspect-ratio") this.applyAspectRatio();
    else if (name === "mirrored") this.applyMirror();
  }

  setUp(root) {
    const find = (selector) => root.querySelector(selector);
    this.el = {
      player: find("[data-player]"),
      stages: find("[data-stages]"),
      stage: find("[data-stage]"),
      frame: find("[data-frame]"),
      video: find("[data-video]"),
      canvas: find("[data-annotations]"),
      bigPlay: find("[data-big-play]"),
      notice: find("[data-notice]"),
      noticeText: find("[data-notice-text]"),
      retry: find("[data-action=retry]"),
      drawingHint: find("[data-drawing-hint]"),
      compareStage: find("[data-compare-stage]"),
      compareFrame: find("[data-compare-frame]"),
      compareVideo: find("[data-compare-video]"),
      compareLabel: find("[data-compare-label]"),
      compareNotice: find("[data-compare-notice]"),
      compareNoticeText: find("[data-compare-notice-text]"),
      compareControls: find("[data-compare-controls]"),
      offset: find("[data-offset]"),
      timeline: find("[data-timeline]"),
      info: find("[data-info]"),
      play: find("[data-play]"),
      current: find("[data-current]"),
      duration: find("[data-duration]"),
      speed: find("[data-speed]"),
      loopA: find("[data-action=loop-a]"),
      loopB: find("[data-action=loop-b]"),
      loopClear: find("[data-action=loop-clear]"),
      mirror: find("[data-action=mirror]"),
      compareButton: find("[data-action=compare]"),
      compareSound: find("[data-action=compare-sound]"),
      mute: find("[data-action=mute]"),
      fullscreen: find("[data-action=fullscreen]"),
      help: find("[data-help]"),
      helpClose: find("[data-action=help-close]"),
    };
    const rows = root.querySelectorAll("[data-help-list] .help-row");
    SHORTCUTS.forEach(([keys, what], index) => {
      rows[index].querySelector("kbd").textContent = keys;
      rows[index].querySelector("dd").textContent = what;
    });
    this.video = this.el.video;
    this.timeline = new Timeline(this.el.timeline, {
      onSeek: (time) => this.seek(time),
      onScrub: (active) => this.scrub(active),
      onRangeSelect: (start, end) => this.emit("practika:range-select", { start, end }),
      onMarker: (marker) => this.markerClicked(marker),
      onSegment: (segment) => this.segmentClicked(segment),
    });
    this.timeline.selectable = this.selectable;
    this.compare = new ComparePane(this.el.compareVideo, {
      preference: this.enginePreference,
      onMessage: (message) => this.compareMessage(message),
    });
    this.applyLabel();
    this.applyAspectRatio();
    this.applyMirror();
    this.showInfo(this.usageHint());
    this.resetCompare();
    this.el.timeline.classList.toggle("has-entries", this.hasAttribute("timeline-url"));
    this.timeline.setEntries(this.entries.segments, this.entries.markers);
    this.bindVideo();
    this.bindControls(root);
    this.bindKeys();
    this.resizeObserver = new ResizeObserver(() => this.renderAnnotations(true));
    this.resizeObserver.observe(this.el.frame);
  }

  // -- attributes ------------------------------------------------------------------------

  get selectable() {
    return this.hasAttribute("selectable");
  }

  set selectable(on) {
    this.toggleAttribute("selectable", Boolean(on));
  }

  get label() {
    return this.getAttribute("label") || "Video";
  }

  get compareLabel() {
    return this.getAttribute("compare-label") || "Second video";
  }

  get enginePreference() {
    const wanted = this.getAttribute("engine") || "auto";
    return ENGINES.includes(wanted) ? wanted : "auto";
  }

  get engine() {
    return this.source?.engine || null;
  }

  get fps() {
    return finite(this.getAttribute("fps")) || this.source?.frameRate() || DEFAULT_FPS;
  }

  applyLabel() {
    this.el.player.setAttribute("aria-label", `Video player: ${this.label}`);
    this.el.stage.setAttribute("aria-label", this.label);
    this.el.video.setAttribute("aria-label", this.label);
  }

  applyAspectRatio() {
    const ratio = this.getAttribute("aspect-ratio");
    if (ratio && /^\s*\d+(\.\d+)?\s*(\/\s*\d+(\.\d+)?\s*)?$/.test(ratio)) {
      this.style.setProperty("--player-aspect-ratio", ratio);
    } else if (ratio === null) {
      this.style.removeProperty("--player-aspect-ratio");
    }
  }

  // -- public API ------------------------------------------------------------------------

  get currentTime() {
    if (!this.video || !this.streams) return this.rangeStart;
    return this.base + this.video.currentTime;
  }

  set currentTime(seconds) {
    this.seek(seconds);
  }

  get duration() {
    return this.rangeEnd;
  }

  get start() {
    return this.rangeStart;
  }

  get paused() {
    return this.video ? this.video.paused : true;
  }

  get playbackRate() {
    return this.video ? this.video.playbackRate : 1;
  }

  set playbackRate(rate) {
    if (!this.video) return;
    const speed = clamp(Number(rate) || 1, SPEEDS[0], SPEEDS[SPEEDS.length - 1]);
    this.video.playbackRate = speed;
    this.video.defaultPlaybackRate = speed;
  }

  get mirrored() {
    return this.hasAttribute("mirrored");
  }

  set mirrored(on) {
    this.toggleAttribute("mirrored", Boolean(on));
  }

  get loopRange() {
    return this.loop ? { ...this.loop } : null;
  }

  async play() {
    if (!this.video || this.session) return;
    const time = this.currentTime;
    const [low, high] = this.loop ? [this.loop.a, this.loop.b] : [this.rangeStart, this.rangeEnd];
    if (Number.isFinite(high) && (time >= high - END_TOLERANCE || time < low - END_TOLERANCE)) {
      this.seek(low);
    }
    try {
      await this.video.play();
    } catch (error) {
      if (error.name === "NotAllowedError") this.showInfo("Press play to start the video.");
      else if (error.name !== "AbortError") this.showInfo("The video could not start. Try again.");
    }
  }

  pause() {
    this.video?.pause();
  }

  seek(seconds) {
    const time = finite(seconds);
    if (time === null || !this.video || !this.streams) return;
    const high = Number.isFinite(this.rangeEnd) ? this.rangeEnd : Number.POSITIVE_INFINITY;
    const target = clamp(time, this.rangeStart, high);
    this.video.currentTime = Math.max(0, target - this.base);
    this.updateTime(target);
  }

  setLoop(a, b) {
    let start = finite(a);
    let end = finite(b);
    if (start === null || end === null) throw new TypeError("setLoop(a, b) needs two times in seconds.");
    if (end < start) [start, end] = [end, start];
    const high = Number.isFinite(this.rangeEnd) ? this.rangeEnd : end;
    start = clamp(start, this.rangeStart, high);
    end = clamp(end, this.rangeStart, high);
    if (end - start < MIN_LOOP_SECONDS) throw new RangeError("A loop lasts at least 0.1 s.");
    this.loop = { a: start, b: end };
    this.pendingA = null;
    const time = this.currentTime;
    if (time < start || time >= end) this.seek(start);
    this.renderLoop();
  }

  clearLoop() {
    const hadLoop = this.loop || this.pendingA !== null;
    this.loop = null;
    this.pendingA = null;
    this.renderLoop();
    if (hadLoop) this.showInfo("Loop cleared.");
  }

  setTimeline(data) {
    this.entries = readTimeline(data || {});
    // Called before the player is built, the entries wait for setUp().
    if (!this.timeline) return;
    this.timeline.setEntries(this.entries.segments, this.entries.markers);
    this.timeline.setSelection(null);
    this.activeDrawings = "";
    this.renderAnnotations(true);
  }

  async reloadTimeline() {
    if (!this.shadowRoot) return;
    const url = this.getAttribute("timeline-url");
    this.el.timeline.classList.toggle("has-entries", Boolean(url));
    if (!url) {
      this.setTimeline({});
      return;
    }
    try {
      this.setTimeline(await fetchJSON(url));
    } catch (error) {
      if (error.name === "AbortError") return;
      // 404: no feedback plugin (or nothing there yet): a plain timeline is still useful.
      if (error.status !== 404) this.showInfo(`Segments and markers could not be loaded: ${error.message}`);
    }
  }

  clearSelection() {
    this.timeline?.setSelection(null);
  }

  beginDrawing(style = {}) {
    if (!this.shadowRoot) return;
    if (this.session) {
      this.session.setStyle(style);
      return;
    }
    this.pause();
    this.session = new DrawingSession(this.el.canvas, {
      style: cleanStyle(style, DEFAULT_STYLE),
      frame: () => frameRect(this.video, this.el.canvas.clientWidth, this.el.canvas.clientHeight),
      mirrored: () => this.mirrored,
      onChange: () => this.renderAnnotations(true),
    });
    this.el.stage.classList.add("drawing");
    this.el.drawingHint.hidden = false;
    this.renderAnnotations(true);
  }

  endDrawing() {
    const drawing = this.session ? this.session.toJSON() : null;
    this.stopDrawing();
    return drawing;
  }

  cancelDrawing() {
    this.stopDrawing();
  }

  undoDrawing() {
    this.session?.undo();
  }

  stopDrawing() {
    if (!this.session) return;
    this.session.destroy();
    this.session = null;
    this.el.stage.classList.remove("drawing");
    this.el.drawingHint.hidden = true;
    this.activeDrawings = "";
    this.renderAnnotations(true);
  }

  // -- loading ---------------------------------------------------------------------------

  async load({ resumeAt = null, resumePlaying = false } = {}) {
    if (!this.shadowRoot) return;
    const token = ++this.loadToken;
    clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    this.source?.destroy();
    this.source = null;
    const url = this.getAttribute("streams-url");
    if (!url) {
      this.showNotice("No video to play.", { error: true });
      return;
    }
    if (resumeAt === null) {
      this.streams = null;
      this.loop = null;
      this.pendingA = null;
      this.hasPlayed = false;
      this.announcedReady = false;
      this.renderLoop();
      this.showNotice("Loading the video…");
    }
    let streams;
    try {
      streams = await fetchJSON(url);
    } catch (error) {
      if (token === this.loadToken) this.loadFailed(error, { resumeAt, resumePlaying });
      return;
    }
    if (token !== this.loadToken) return;
    this.useStreams(streams, { resuming: resumeAt !== null });
    const startAt = resumeAt === null ? this.rangeStart - this.base : Math.max(0, resumeAt - this.base);
    const source = await attachStream(this.video, streams.hls, {
      preference: this.enginePreference,
      startAt,
      onFatal: (info) => this.playbackFailed(info),
    });
    if (token !== this.loadToken) {
      source?.destroy();
      return;
    }
    if (!source) {
      this.fail("This browser cannot play these videos. Try a recent Chrome, Firefox, Edge or Safari.");
      return;
    }
    this.source = source;
    this.dataset.engine = source.engine;
    if (resumePlaying) this.video.addEventListener("canplay", () => this.play(), { once: true });
    if (resumeAt === null) this.loadExtras(streams, token);
  }

  useStreams(streams, { resuming }) {
    this.streams = streams;
    this.isSegment = typeof streams.start === "number" && typeof streams.end === "number";
    if (this.isSegment) {
      // The segment playlist starts at the clip's HLS segment boundary before ``start``:
      // video time 0 is clip time ``start - offset``.
      this.base = streams.start - (finite(streams.offset) || 0);
      this.rangeStart = streams.start;
      this.rangeEnd = streams.end;
    } else {
      this.base = 0;
      this.rangeStart = 0;
      // Until the new source's metadata arrives, a reconnect keeps the known duration.
      const known = resuming ? this.rangeEnd : Number.NaN;
      this.rangeEnd = Number.isFinite(this.video.duration) ? this.video.duration : known;
    }
    if (streams.poster) this.video.poster = streams.poster;
    else this.video.removeAttribute("poster");
    this.updateWindow();
  }

  async loadExtras(streams, token) {
    // The waveform and the scrubbing thumbnails are extras: without them the player works.
    if (streams.waveform) {
      fetchJSON(streams.waveform)
        .then((data) => token === this.loadToken && this.timeline.setWaveform(readWaveform(data)))
        .catch(() => {});
    } else {
      this.timeline.setWaveform(null);
    }
    if (streams.thumbnails_vtt) {
      fetchText(streams.thumbnails_vtt)
        .then((text) => {
          if (token !== this.loadToken) return;
          this.timeline.setThumbnails(parseThumbnailsVtt(text, streams.thumbnails_vtt));
        })
        .catch(() => {});
    } else {
      this.timeline.setThumbnails([]);
    }
  }

  loadFailed(error, resume) {
    if (error instanceof LoadError && error.retryable) {
      let reason = error.message;
      if (error.status === 409) reason = "This video is still being prepared.";
      else if (error.status === 0) reason = "The connection was lost.";
      this.retryLater(reason, resume);
      return;
    }
    this.fail(error.message || "The video could not be loaded.");
  }

  async playbackFailed(info) {
    if (info.unsupported && !this.hasPlayed && (await this.playlistAnswers())) {
      this.fail("This video cannot be played in this browser.");
      return;
    }
    // Anything else (a dropped connection, an expired signed URL): fresh URLs, same place.
    const resume = { resumeAt: this.currentTime, resumePlaying: !this.video.paused || this.wasPlaying };
    const reason = info.status === 403 ? "The video link expired." : "The connection was lost.";
    this.retryLater(reason, resume);
  }

  // The browser's own HLS reports an unreachable playlist like an unplayable one: asking
  // for the playlist tells a dropped connection or an expired link from a real format problem.
  async playlistAnswers() {
    try {
      const response = await fetch(this.streams.hls, { method: "HEAD", credentials: "same-origin" });
      return response.ok;
    } catch {
      return false;
    }
  }

  retryLater(reason, resume) {
    clearTimeout(this.retryTimer);
    const delay = RETRY_DELAYS[Math.min(this.retryCount, RETRY_DELAYS.length - 1)];
    this.retryCount += 1;
    const message = `${reason} Retrying in ${delay} s…`;
    this.showNotice(message, { error: true, retry: true });
    this.emit("practika:error", { message });
    this.pendingResume = resume;
    this.retryTimer = setTimeout(() => this.retryNow(), delay * 1000);
  }

  retryNow() {
    clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    const resume = this.pendingResume || {};
    this.showNotice("Reconnecting…", { error: true });
    this.load(this.streams ? resume : {});
  }

  fail(message) {
    clearTimeout(this.retryTimer);
    this.showNotice(message, { error: true, retry: true });
    this.pendingResume = this.streams ? { resumeAt: this.currentTime, resumePlaying: false } : {};
    this.emit("practika:error", { message });
  }

  // -- video events ----------------------------------------------------------------------

  bindVideo() {
    const video = this.video;
    video.addEventListener("loadedmetadata", () => {
      if (!this.isSegment) this.rangeEnd = video.duration;
      this.updateWindow();
      if (!this.announcedReady) {
        this.announcedReady = true;
        if (this.isSegment) {
          this.seek(this.rangeStart);
          this.showInfo(`This segment runs from ${clock(this.rangeStart)} to ${clock(this.rangeEnd)}.`);
        }
        this.emit("practika:ready", { duration: this.duration });
      }
    });
    video.addEventListener("durationchange", () => {
      if (!this.isSegment && Number.isFinite(video.duration)) {
        this.rangeEnd = video.duration;
        this.updateWindow();
      }
    });
    video.addEventListener("loadeddata", () => {
      this.hideNotice();
      this.retryCount = 0;
      this.renderAnnotations(true);
    });
    video.addEventListener("canplay", () => {
      if (!this.el.notice.classList.contains("fatal")) this.hideNotice();
      this.retryCount = 0;
    });
    video.addEventListener("waiting", () => {
      if (this.hasPlayed) this.showNotice("Loading…", { quiet: true });
    });
    video.addEventListener("playing", () => {
      this.hasPlayed = true;
      this.hideNotice();
    });
    video.addEventListener("play", () => {
      this.renderPlayState();
      this.startLoop();
      this.followCompare();
    });
    video.addEventListener("pause", () => {
      this.renderPlayState();
      this.stopLoop();
      this.followCompare();
    });
    video.addEventListener("ended", () => {
      if (this.loop) {
        this.seek(this.loop.a);
        this.play();
      }
    });
    video.addEventListener("seeked", () => {
      this.tick();
      this.followCompare();
    });
    video.addEventListener("timeupdate", () => {
      this.tick();
      this.emit("practika:timeupdate", { time: this.currentTime });
    });
    video.addEventListener("ratechange", () => {
      const value = String(video.playbackRate);
      if ([...this.el.speed.options].some((option) => option.value === value)) this.el.speed.value = value;
      this.followCompare();
    });
    video.addEventListener("progress", () => this.renderBuffered());
    video.addEventListener("volumechange", () => this.renderMute());
  }

  startLoop() {
    if (this.frameRequest) return;
    const step = () => {
      this.frameRequest = requestAnimationFrame(step);
      this.tick();
    };
    this.frameRequest = requestAnimationFrame(step);
  }

  stopLoop() {
    cancelAnimationFrame(this.frameRequest);
    this.frameRequest = 0;
  }

  // Runs every animation frame while playing and after each seek: keeps playback inside the
  // loop or the segment, and the timeline, clock, drawings and compare video in step.
  tick() {
    if (!this.streams) return;
    const time = this.currentTime;
    if (!this.video.paused && !this.video.seeking) {
      if (this.loop && (time >= this.loop.b - END_TOLERANCE || time < this.loop.a - END_TOLERANCE)) {
        this.seek(this.loop.a);
        return;
      }
      if (!this.loop && this.isSegment && time >= this.rangeEnd - END_TOLERANCE) {
        this.pause();
        this.seek(this.rangeEnd);
        return;
      }
    }
    this.updateTime(time);
    this.renderAnnotations(false);
    if (!this.video.paused) this.followCompare();
  }

  updateTime(time) {
    this.timeline.setTime(time);
    const text = clock(time);
    if (this.el.current.textContent !== text) this.el.current.textContent = text;
  }

  updateWindow() {
    const end = Number.isFinite(this.rangeEnd) ? this.rangeEnd : this.rangeStart;
    this.timeline.setWindow(this.rangeStart, end);
    this.el.duration.textContent = Number.isFinite(this.rangeEnd) ? clock(this.rangeEnd) : "–";
    this.renderBuffered();
  }

  renderBuffered() {
    const buffered = this.video.buffered;
    const ranges = [];
    for (let index = 0; index < buffered.length; index += 1) {
      ranges.push([this.base + buffered.start(index), this.base + buffered.end(index)]);
    }
    this.timeline.setBuffered(ranges);
  }

  renderPlayState() {
    const paused = this.video.paused;
    this.el.play.innerHTML = paused ? ICONS.play : ICONS.pause;
    this.el.play.setAttribute("aria-label", paused ? "Play" : "Pause");
    this.el.bigPlay.innerHTML = paused ? ICONS.play : ICONS.pause;
    this.el.stage.classList.toggle("is-playing", !paused);
  }

  renderMute() {
    const muted = this.video.muted;
    this.el.mute.innerHTML = muted ? ICONS.muted : ICONS.volume;
    this.el.mute.setAttribute("aria-pressed", String(muted));
  }

  renderLoop() {
    if (!this.shadowRoot) return;
    this.timeline.setLoop(this.loop, this.pendingA);
    this.el.loopA.setAttribute("aria-pressed", String(Boolean(this.loop) || this.pendingA !== null));
    this.el.loopB.setAttribute("aria-pressed", String(Boolean(this.loop)));
    this.el.loopClear.disabled = !this.loop && this.pendingA === null;
    this.el.player.classList.toggle("looping", Boolean(this.loop));
    if (this.loop) {
      this.showInfo(`Looping ${clock(this.loop.a)}–${clock(this.loop.b)}.`);
    } else if (this.pendingA !== null) {
      this.showInfo(`Loop start set at ${clock(this.pendingA)}. Press ] or B for the end.`);
    }
  }

  // -- drawings on the video -------------------------------------------------------------

  activeMarkerDrawings(time) {
    return this.entries.markers.filter((marker) => {
      if (!marker.drawing || !Array.isArray(marker.drawing.shapes)) return false;
      const until = marker.end_time ?? marker.time + DRAWING_SECONDS;
      return time >= marker.time - 0.01 && time <= until;
    });
  }

  renderAnnotations(force) {
    if (!this.el) return;
    const canvas = this.el.canvas;
    if (this.session) {
      const { context, width, height } = prepareCanvas(canvas);
      drawShapes(context, this.session.all(), frameRect(this.video, width, height));
      return;
    }
    const active = this.activeMarkerDrawings(this.currentTime);
    const key = active.map((marker) => marker.id).join(",");
    if (!force && key === this.activeDrawings) return;
    this.activeDrawings = key;
    const { context, width, height } = prepareCanvas(canvas);
    const frame = frameRect(this.video, width, height);
    for (const marker of active) drawShapes(context, marker.drawing.shapes, frame);
    this.el.frame.classList.toggle("annotated", active.length > 0);
  }

  // -- controls --------------------------------------------------------------------------

  bindControls(root) {
    const actions = {
      play: () => this.togglePlay(),
      "frame-back": () => this.stepFrames(-1),
      "frame-forward": () => this.stepFrames(1),
      "loop-a": () => this.markLoopStart(),
      "loop-b": () => this.markLoopEnd(),
      "loop-clear": () => this.clearLoop(),
      mirror: () => (this.mirrored = !this.mirrored),
      compare: () => this.toggleCompare(),
      "compare-sound": () => this.toggleCompareSound(),
      "offset-down": () => this.setOffset(this.compare.offset - 0.1),
      "offset-up": () => this.setOffset(this.compare.offset + 0.1),
      mute: () => (this.video.muted = !this.video.muted),
      fullscreen: () => this.toggleFullscreen(),
      help: () => this.toggleHelp(),
      "help-close": () => this.toggleHelp(false),
      retry: () => this.retryNow(),
    };
    root.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (button && actions[button.dataset.action]) {
        event.stopPropagation();
        actions[button.dataset.action]();
      }
    });
    this.el.frame.addEventListener("click", () => {
      if (this.session) return;
      this.el.stage.focus({ preventScroll: true });
      this.togglePlay();
    });
    this.el.frame.addEventListener("dblclick", () => {
      if (!this.session) this.toggleFullscreen();
    });
    this.el.speed.addEventListener("change", () => (this.playbackRate = Number(this.el.speed.value)));
    this.el.offset.addEventListener("change", () => this.setOffset(Number(this.el.offset.value)));
    this.el.help.addEventListener("click", (event) => {
      if (event.target === this.el.help) this.toggleHelp(false);
    });
  }

  togglePlay() {
    if (this.video.paused) this.play();
    else this.pause();
  }

  stepFrames(count) {
    this.pause();
    const fps = this.fps;
    // Aim at the middle of the next frame: repeated steps land one frame apart, and a
    // timestamp a little off the exact grid still shows the intended frame.
    const frame = Math.floor((this.currentTime - this.base) * fps + 1e-6) + count;
    this.seek(this.base + (frame + 0.5) / fps);
  }

  seekBy(seconds) {
    this.seek(this.currentTime + seconds);
  }

  changeSpeed(direction) {
    const index = SPEEDS.findIndex((speed) => speed >= this.playbackRate - 1e-6);
    const next = SPEEDS[clamp((index < 0 ? SPEEDS.length - 1 : index) + direction, 0, SPEEDS.length - 1)];
    this.playbackRate = next;
    this.showInfo(`Speed ${next}×`);
  }

  markLoopStart() {
    const time = this.currentTime;
    if (this.loop && time < this.loop.b - MIN_LOOP_SECONDS) {
      this.setLoop(time, this.loop.b);
      return;
    }
    this.loop = null;
    this.pendingA = time;
    this.renderLoop();
  }

  markLoopEnd() {
    const time = this.currentTime;
    const start = this.pendingA ?? this.loop?.a ?? this.rangeStart;
    if (time - start < MIN_LOOP_SECONDS) {
      this.showInfo("The loop end must come after its start. Move on a little and press ] again.");
      return;
    }
    this.setLoop(start, time);
  }

  scrub(active) {
    if (active) {
      this.wasPlaying = !this.video.paused;
      this.pause();
    } else if (this.wasPlaying) {
      this.wasPlaying = false;
      this.play();
    }
  }

  markerClicked(marker) {
    if (marker.drawing) this.pause();
    this.seek(marker.time);
    const kind = MARKER_KINDS[marker.kind];
    const isRange = marker.end_time !== null && marker.end_time > marker.time;
    const when = isRange ? `${clock(marker.time)}–${clock(marker.end_time)}` : clock(marker.time);
    this.showInfo(`${kind} · ${when}${marker.text ? ` — ${marker.text}` : ""}`, isRange ? {
      label: "Loop this range",
      run: () => this.setLoop(marker.time, marker.end_time),
    } : null);
    this.emit("practika:marker-click", { marker: { ...marker } });
  }

  segmentClicked(segment) {
    this.seek(segment.start);
    this.showInfo(`Segment ${segment.title || ""} · ${clock(segment.start)}–${clock(segment.end)}`, {
      label: "Loop this segment",
      run: () => this.setLoop(segment.start, segment.end),
    });
    this.emit("practika:segment-click", { segment: { ...segment } });
  }

  applyMirror() {
    if (!this.el) return;
    const on = this.mirrored;
    this.el.frame.classList.toggle("mirrored", on);
    this.el.mirror.setAttribute("aria-pressed", String(on));
  }

  // -- compare ---------------------------------------------------------------------------

  resetCompare() {
    if (!this.el) return;
    const url = this.getAttribute("compare-streams-url");
    this.el.compareButton.hidden = !url;
    this.el.compareLabel.textContent = this.compareLabel;
    this.el.compareButton.setAttribute("aria-label", `Side by side with ${this.compareLabel}`);
    if (!url || this.compare.url !== url) this.toggleCompare(false);
  }

  toggleCompare(force) {
    const url = this.getAttribute("compare-streams-url");
    const on = (force ?? this.el.compareStage.hidden) && Boolean(url);
    this.el.compareStage.hidden = !on;
    this.el.compareControls.hidden = !on;
    this.el.stages.classList.toggle("comparing", on);
    this.el.compareButton.setAttribute("aria-pressed", String(on));
    if (on) {
      this.compare.open(url).then(() => this.followCompare());
    } else {
      // Sound comes back to the main video only if it had been handed to the second one.
      if (this.compare.audible) this.video.muted = false;
      this.compare.close();
      this.compare.audible = false;
      this.el.compareSound.setAttribute("aria-pressed", "false");
    }
  }

  get comparing() {
    return Boolean(this.el && !this.el.compareStage.hidden);
  }

  toggleCompareSound() {
    const hearCompare = !this.compare.audible;
    this.compare.audible = hearCompare;
    this.video.muted = hearCompare;
    this.el.compareSound.setAttribute("aria-pressed", String(hearCompare));
  }

  setOffset(seconds) {
    const offset = Math.round(clamp(Number(seconds) || 0, -3600, 3600) * 100) / 100;
    this.compare.offset = offset;
    this.el.offset.value = String(offset);
    this.followCompare();
  }

  get compareOffset() {
    return this.compare ? this.compare.offset : 0;
  }

  set compareOffset(seconds) {
    this.setOffset(seconds);
  }

  followCompare() {
    if (!this.comparing || !this.streams) return;
    this.compare.follow(this.currentTime, !this.video.paused, this.video.playbackRate);
  }

  compareMessage(message) {
    this.el.compareNotice.hidden = !message;
    this.el.compareNoticeText.textContent = message;
  }

  // -- full screen, help, messages -------------------------------------------------------

  toggleFullscreen() {
    if (document.fullscreenElement === this) {
      document.exitFullscreen().catch(() => {});
    } else if (this.requestFullscreen) {
      this.requestFullscreen().catch(() => this.showInfo("Full screen is not available here."));
    } else if (this.video.webkitEnterFullscreen) {
      // iPhone Safari: only the video itself can go full screen.
      this.video.webkitEnterFullscreen();
    }
  }

  renderFullscreen() {
    const on = document.fullscreenElement === this;
    this.el.fullscreen.innerHTML = on ? ICONS.exitFullscreen : ICONS.fullscreen;
    this.el.fullscreen.setAttribute("aria-label", on ? "Leave full screen" : "Full screen");
    this.renderAnnotations(true);
  }

  toggleHelp(force) {
    const open = force ?? this.el.help.hidden;
    if (open === !this.el.help.hidden) return;
    this.el.help.hidden = !open;
    if (open) {
      this.helpReturnFocus = this.shadowRoot.activeElement;
      this.el.helpClose.focus();
    } else {
      (this.helpReturnFocus || this.el.stage).focus({ preventScroll: true });
    }
  }

  get helpOpen() {
    return Boolean(this.el && !this.el.help.hidden);
  }

  showNotice(message, { error = false, retry = false, quiet = false } = {}) {
    this.el.noticeText.textContent = message;
    this.el.notice.hidden = false;
    this.el.notice.classList.toggle("is-error", error);
    this.el.notice.classList.toggle("is-quiet", quiet);
    this.el.notice.classList.toggle("fatal", error && retry);
    this.el.notice.setAttribute("role", error ? "alert" : "status");
    this.el.retry.hidden = !retry;
  }

  hideNotice() {
    this.el.notice.hidden = true;
    this.el.notice.classList.remove("fatal");
  }

  usageHint() {
    return window.matchMedia("(pointer: coarse)").matches
      ? "Tap the video to play or pause; drag along the timeline to move through it."
      : "Click the video to play or pause. Press ? for keyboard shortcuts.";
  }

  showInfo(text, action = null) {
    const parts = [document.createElement("span")];
    parts[0].textContent = text;
    if (action) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "info-action";
      button.textContent = action.label;
      button.addEventListener("click", () => action.run());
      parts.push(button);
    }
    this.el.info.replaceChildren(...parts);
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }

  // -- keyboard --------------------------------------------------------------------------

  bindKeys() {
    this.addEventListener("keydown", (event) => {
      if (event.defaultPrevented) return;
      const target = event.composedPath()[0];
      if (this.helpOpen) {
        this.helpKey(event, target);
        return;
      }
      const action = shortcutFor(event, { target, drawing: Boolean(this.session) });
      if (action) {
        event.preventDefault();
        action(this);
      }
    });
  }

  helpKey(event, target) {
    if (event.key === "Escape" || (event.key === "?" && !isTyping(target))) {
      event.preventDefault();
      this.toggleHelp(false);
    } else if (event.key === "Tab") {
      // Keep focus inside the dialog: its close button is its only control.
      event.preventDefault();
      this.el.helpClose.focus();
    }
  }
}

// Defined once the stylesheet is in: until then the page's fallback (and its reserved box,
// static/css/player-page.css) stays, so the player appears styled and in one step.
loadStylesheet().then(() => {
  if (!customElements.get("practika-player")) customElements.define("practika-player", PractikaPlayer);
});

export { PractikaPlayer };
