// <practika-recorder>: record a take with the camera and microphone. Turn the camera on, a
// 3-2-1 countdown, record with a live preview, stop, watch it back, then hand the file over
// with a bubbling `practika:recorded` event ({file, durationSec}). Enhances the markup the
// server rendered (buttons, video boxes); says plainly when recording is not possible.

import { formatDuration } from "./messages.js";

// Best first. H.264/AAC in MP4 is published by a remux, in seconds (Safari, recent Chrome);
// VP9 gives smaller files than VP8 for the same picture, which matters on phone networks.
const MIME_TYPES = [
  'video/mp4;codecs="avc1.42E01F,mp4a.40.2"',
  "video/mp4;codecs=avc1,mp4a.40.2",
  "video/webm;codecs=vp9,opus",
  "video/webm;codecs=vp8,opus",
  "video/webm",
  "video/mp4",
];
const VIDEO_BITS_PER_SECOND = 2_500_000;
const COUNTDOWN_FROM = 3;
const BUTTONS = ["camera", "start", "stop", "use", "retake", "close"];

export function bestMimeType() {
  if (!window.MediaRecorder || typeof MediaRecorder.isTypeSupported !== "function") return "";
  return MIME_TYPES.find((type) => MediaRecorder.isTypeSupported(type)) || "";
}

function cameraErrorMessage(error) {
  switch (error && error.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "Practika may not use your camera and microphone. Allow them in your browser’s site settings, or choose a video file instead.";
    case "NotFoundError":
    case "OverconstrainedError":
      return "No camera or microphone was found. Plug one in, or choose a video file instead.";
    case "NotReadableError":
    case "AbortError":
      return "Your camera is busy: another app or tab may be using it. Close it and try again.";
    default:
      return "The camera could not be started. Choose a video file instead.";
  }
}

function extensionFor(type) {
  return type.startsWith("video/mp4") ? "mp4" : "webm";
}

function stamp(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

class PractikaRecorder extends HTMLElement {
  connectedCallback() {
    if (this.wired) return;
    this.wired = true;
    this.preview = this.querySelector("[data-preview]");
    this.playback = this.querySelector("[data-playback]");
    this.placeholder = this.querySelector("[data-placeholder]");
    this.countdown = this.querySelector("[data-countdown]");
    this.rec = this.querySelector("[data-rec]");
    this.timer = this.querySelector("[data-timer]");
    this.message = this.querySelector("[data-message]");
    this.buttons = Object.fromEntries(BUTTONS.map((name) => [name, this.querySelector(`[data-action="${name}"]`)]));
    this.targetSeconds = Number(this.dataset.targetSeconds) || 60;
    this.maxSeconds = Number(this.dataset.maxSeconds) || 3600;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.MediaRecorder) {
      this.show();
      this.placeholder.textContent = "This browser cannot record video. Choose a video file instead.";
      return;
    }
    this.buttons.camera.addEventListener("click", () => this.turnOn());
    this.buttons.start.addEventListener("click", () => this.start());
    this.buttons.stop.addEventListener("click", () => this.stop());
    this.buttons.use.addEventListener("click", () => this.use());
    this.buttons.retake.addEventListener("click", () => this.turnOn());
    this.buttons.close.addEventListener("click", () => this.reset());
    this.show("camera");
  }

  disconnectedCallback() {
    this.stopCamera();
  }

  show(...names) {
    for (const name of BUTTONS) this.buttons[name].hidden = !names.includes(name);
  }

  // Tells the page whether the recorder holds the camera for a take (the countdown or the
  // recording), so it can keep other ways of adding a take out of the way meanwhile.
  busy(on) {
    if (Boolean(this.isBusy) === on) return;
    this.isBusy = on;
    this.dispatchEvent(new CustomEvent("practika:recorder-busy", { bubbles: true, detail: { busy: on } }));
  }

  say(text, problem = false) {
    this.message.textContent = text;
    this.message.classList.toggle("practice-error", problem);
  }

  async turnOn() {
    this.clearRecording();
    this.show();
    this.say("Asking for your camera and microphone…");
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "user", width: { ideal: 1280 }, height: { ideal: 720 } },
        audio: true,
      });
    } catch (error) {
      this.say(cameraErrorMessage(error), true);
      this.show("camera");
      return;
    }
    this.preview.srcObject = this.stream;
    this.preview.hidden = false;
    this.playback.hidden = true;
    this.placeholder.hidden = true;
    this.preview.play().catch(() => {});
    this.show("start", "close");
    this.say("Camera on. Press “Start recording” when you are ready: a 3-second countdown comes first.");
    this.buttons.start.focus();
  }

  async start() {
    this.counting = true;
    this.busy(true);
    this.show("stop");
    this.buttons.stop.focus();
    this.countdown.hidden = false;
    for (let n = COUNTDOWN_FROM; n > 0; n -= 1) {
      this.countdown.textContent = String(n);
      this.say(`Recording starts in ${n}…`);
      await new Promise((resolve) => {
        this.countdownTimer = setTimeout(resolve, 1000);
      });
      if (!this.counting) return;
    }
    this.counting = false;
    this.countdown.hidden = true;
    this.record();
  }

  record() {
    const mimeType = bestMimeType();
    this.chunks = [];
    try {
      this.recorder = new MediaRecorder(
        this.stream,
        mimeType ? { mimeType, videoBitsPerSecond: VIDEO_BITS_PER_SECOND } : undefined,
      );
    } catch {
      this.say("This browser cannot record video. Choose a video file instead.", true);
      this.reset();
      return;
    }
    this.recorder.addEventListener("dataavailable", (event) => {
      if (event.data && event.data.size) this.chunks.push(event.data);
    });
    this.recorder.addEventListener("stop", () => this.recorded());
    this.recorder.addEventListener("error", () => {
      this.say("Recording stopped unexpectedly. Try again, or choose a video file instead.", true);
    });
    this.recorder.start(1000); // a chunk a second: a long take never sits in one buffer
    this.startedAt = performance.now();
    this.rec.hidden = false;
    this.tick();
    this.ticker = setInterval(() => this.tick(), 250);
    this.say("Recording. Press “Stop” when you are done.");
  }

  elapsed() {
    return (performance.now() - this.startedAt) / 1000;
  }

  tick() {
    const seconds = this.elapsed();
    this.timer.textContent = `${formatDuration(seconds)} / ${formatDuration(this.targetSeconds)}`;
    this.rec.classList.toggle("over", seconds > this.targetSeconds);
    if (seconds >= this.maxSeconds) this.stop();
  }

  stop() {
    if (this.counting) {
      this.counting = false;
      clearTimeout(this.countdownTimer);
      this.countdown.hidden = true;
      this.show("start", "close");
      this.busy(false);
      this.say("Countdown cancelled.");
      this.buttons.start.focus();
      return;
    }
    if (this.recorder && this.recorder.state !== "inactive") {
      this.durationSec = this.elapsed();
      clearInterval(this.ticker);
      this.recorder.stop();
    }
  }

  recorded() {
    this.rec.hidden = true;
    this.busy(false);
    this.stopCamera();
    const type = (this.recorder.mimeType || (this.chunks[0] && this.chunks[0].type) || "video/webm").split(";")[0];
    const now = new Date();
    this.file = new File(this.chunks, `take-${stamp(now)}.${extensionFor(type)}`, {
      type,
      lastModified: now.getTime(),
    });
    this.chunks = [];
    this.url = URL.createObjectURL(this.file);
    this.playback.src = this.url;
    this.playback.hidden = false;
    this.preview.hidden = true;
    this.show("use", "retake");
    this.say(`Recorded ${formatDuration(this.durationSec)}. Watch it back, then upload it or record again.`);
    this.buttons.use.focus();
  }

  use() {
    if (!this.file) return;
    const detail = { file: this.file, durationSec: this.durationSec };
    this.dispatchEvent(new CustomEvent("practika:recorded", { bubbles: true, detail }));
    this.reset("Your recording is on its way.");
  }

  reset(text = "") {
    this.busy(false);
    this.counting = false;
    clearTimeout(this.countdownTimer);
    clearInterval(this.ticker);
    this.stopCamera();
    this.clearRecording();
    this.file = null;
    this.preview.hidden = true;
    this.playback.hidden = true;
    this.countdown.hidden = true;
    this.rec.hidden = true;
    this.placeholder.hidden = false;
    this.show("camera");
    this.say(text);
  }

  clearRecording() {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
    this.playback.removeAttribute("src");
    this.playback.load();
  }

  stopCamera() {
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    this.stream = null;
    if (this.preview) this.preview.srcObject = null;
  }
}

customElements.define("practika-recorder", PractikaRecorder);
