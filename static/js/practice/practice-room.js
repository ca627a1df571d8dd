// <practika-practice-room>: the exercise page as students use it. Record a take
// (<practika-recorder>) or pick a file, upload it resumably (uploader.js), follow its
// processing live over /ws/ (no polling) until it plays in <practika-player>, and keep the
// attempt history (<practika-attempts>) current. Enhances the markup the server rendered,
// which already says what the page holds before this runs.

import "./recorder.js";
import "./attempts.js";
import { api } from "./api.js";
import { formatBytes, formatDuration, statusSentence, uploadErrorMessage } from "./messages.js";
import { Realtime } from "./realtime.js";
import { forgetUpload, loadRecording, sameFile, unfinishedUploads } from "./resume.js";
import { TakeUpload, UploadCancelled, discardClip } from "./uploader.js";

// Statuses only move forward; an answer that arrives late (the commit's) must not undo an
// event that came first.
const STATUS_RANK = { awaiting_upload: 0, uploaded: 1, processing: 2, ready: 3, failed: 3, rejected: 3 };
const SETTLED = new Set(["ready", "failed", "rejected"]);
const VIDEO_EXTENSIONS = /\.(mp4|m4v|mov|webm|mkv|3gp|3g2)$/i;
const PROBE_TIMEOUT_MS = 8000;

function streamsUrl(clipId) {
  return `/api/v1/clips/${clipId}/streams/`;
}

// The file's duration from its metadata, or null when this browser cannot read it (the
// server's probe decides in the end; the declared value only has to be plausible).
function probeDuration(file) {
  return new Promise((resolve) => {
    const video = document.createElement("video");
    const url = URL.createObjectURL(file);
    const done = (value) => {
      clearTimeout(timer);
      URL.revokeObjectURL(url);
      video.removeAttribute("src");
      resolve(Number.isFinite(value) && value > 0 ? value : null);
    };
    const timer = setTimeout(() => done(null), PROBE_TIMEOUT_MS);
    video.preload = "metadata";
    video.muted = true;
    video.addEventListener("loadedmetadata", () => done(video.duration));
    video.addEventListener("error", () => done(null));
    video.src = url;
  });
}

class PractikaPracticeRoom extends HTMLElement {
  connectedCallback() {
    if (this.wired) return;
    this.wired = true;
    const data = this.dataset;
    this.exerciseId = data.exerciseId;
    this.maxBytes = Number(data.maxBytes) || Infinity;
    this.targetSeconds = Number(data.targetSeconds) || 60;
    this.maxTakes = data.maxTakes ? Number(data.maxTakes) : null;
    this.takesUsed = Number(data.takesUsed) || 0;
    this.referenceStreamsUrl = data.referenceStreamsUrl || "";
    this.referencePlayable = Boolean(this.querySelector("[data-reference-box] practika-player"));
    const $ = (selector) => this.querySelector(selector);
    this.el = {
      capture: $("[data-capture]"),
      fileInput: $("[data-file-input]"),
      resume: $("[data-resume]"),
      noTakes: $("[data-no-takes]"),
      takesText: $("[data-takes-text]"),
      upload: $("[data-upload]"),
      uploadLabel: $("[data-upload-label]"),
      uploadName: $("[data-upload-name]"),
      progress: $("[data-upload-progress]"),
      percent: $("[data-upload-percent]"),
      speed: $("[data-upload-speed]"),
      pause: $("[data-upload] [data-action=pause]"),
      retry: $("[data-upload] [data-action=retry]"),
      cancel: $("[data-upload] [data-action=cancel]"),
      status: $("[data-status]"),
      steps: $("[data-steps]"),
      processingPercent: $("[data-processing-percent]"),
      connection: $("[data-connection]"),
      takeSection: $("[data-take-section]"),
      takeHeading: $("[data-take-heading]"),
      takeBox: $("[data-take-box]"),
      referenceBox: $("[data-reference-box]"),
      attempts: $("practika-attempts"),
    };
    if (!window.tus || !window.tus.isSupported) {
      this.el.capture.hidden = true;
      this.sayError("The uploader could not start in this browser. Reload the page, or try another browser.");
      return;
    }
    this.el.fileInput.addEventListener("change", () => {
      const file = this.el.fileInput.files && this.el.fileInput.files[0];
      if (file) this.fileChosen(file);
    });
    this.addEventListener("practika:recorded", (event) => {
      this.startUpload(event.detail.file, event.detail.durationSec, { recorded: true });
    });
    this.addEventListener("practika:recorder-busy", (event) => {
      this.el.fileInput.disabled = event.detail.busy;
    });
    this.addEventListener("practika:watch", (event) => {
      event.preventDefault();
      this.showTake(event.detail.takeId, event.detail.attemptNumber, { focus: true, push: true });
    });
    this.el.pause.addEventListener("click", () => this.togglePause());
    this.el.retry.addEventListener("click", () => this.upload && this.upload.retryNow());
    this.el.cancel.addEventListener("click", () => this.upload && this.upload.cancel());
    window.addEventListener("online", () => this.realtime && this.realtime.reconnectNow());
    window.addEventListener("beforeunload", (event) => {
      // Leaving mid-upload loses nothing for good (it resumes), but it stops it for now.
      if (this.upload && !this.upload.paused) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    this.followReference();
    if (data.pendingId && ["uploaded", "processing"].includes(data.pendingStatus)) {
      this.current = { clipId: data.pendingId, attempt: data.pendingAttempt, status: data.pendingStatus, progress: 0 };
      this.el.steps.hidden = false;
      this.renderSteps();
      this.followTake(data.pendingId);
    }
    this.offerResume();
  }

  // --- messages ---------------------------------------------------------------------------
  say(text) {
    this.el.status.textContent = text;
    this.el.status.classList.remove("practice-error");
  }

  sayError(text) {
    this.el.status.textContent = text;
    this.el.status.classList.add("practice-error");
  }

  updateTakesText() {
    const aim = `aim for ${formatDuration(this.targetSeconds)}`;
    if (this.maxTakes === null) {
      const sofar = this.takesUsed ? ` · ${this.takesUsed} so far` : "";
      this.el.takesText.textContent = `Unlimited takes${sofar} · ${aim}`;
      return;
    }
    const left = Math.max(this.maxTakes - this.takesUsed, 0);
    this.el.takesText.textContent = `${left} of ${this.maxTakes} take${this.maxTakes === 1 ? "" : "s"} left · ${aim}`;
  }

  takesLeft() {
    return this.maxTakes === null || this.takesUsed < this.maxTakes;
  }

  showCapture() {
    const open = this.takesLeft();
    this.el.capture.hidden = !open;
    this.el.noTakes.hidden = open;
  }

  // --- the websocket ----------------------------------------------------------------------
  live() {
    if (this.realtime) return this.realtime;
    this.realtime = new Realtime();
    this.realtime.addEventListener("state", (event) => {
      const { state, delayMs } = event.detail;
      const box = this.el.connection;
      if (state === "retrying") {
        box.textContent = `Live updates: connection lost. Reconnecting in ${Math.round(delayMs / 1000)} s…`;
        box.hidden = false;
      } else if (state === "unauthenticated") {
        box.textContent = "You have been logged out, so live updates stopped. Log in again and reload this page.";
        box.hidden = false;
      } else {
        box.hidden = true;
        box.textContent = "";
      }
    });
    return this.realtime;
  }

  // Calls `apply(statusData)` with every change of the clip: events as they come, and the
  // status read once on each (re)subscription, for whatever happened while away. Other events
  // of the clip (`feedback.published`) go to `onEvent`.
  follow(clipId, apply, onEvent = () => {}) {
    return this.live().subscribe(`clip:${clipId}`, (frame) => {
      if (frame.type === "subscribed") {
        api(`clips/${clipId}/status/`).then(apply, () => {});
      } else if (frame.type && frame.type.startsWith("clip.") && frame.data) {
        apply(frame.data);
      } else if (frame.type && frame.type !== "error") {
        onEvent(frame);
      }
    });
  }

  // --- the reference ----------------------------------------------------------------------
  followReference() {
    const { referenceId, referenceStatus } = this.dataset;
    if (!referenceId || this.referencePlayable || SETTLED.has(referenceStatus)) return;
    const subscription = this.follow(referenceId, (status) => {
      if (status.playable && !this.referencePlayable) {
        this.referencePlayable = true;
        this.el.referenceBox.replaceChildren(this.player(streamsUrl(referenceId), "Teacher’s reference"));
      }
      if (SETTLED.has(status.status)) subscription.unsubscribe();
      if (!status.playable && (status.status === "failed" || status.status === "rejected")) {
        const note = document.createElement("p");
        note.className = "practice-player-fallback";
        note.textContent = "The reference video could not be prepared. Follow the instructions above.";
        this.el.referenceBox.replaceChildren(note);
      }
    });
  }

  player(url, label, { timelineUrl = "", compare = false } = {}) {
    const player = document.createElement("practika-player");
    player.setAttribute("streams-url", url);
    if (timelineUrl) player.setAttribute("timeline-url", timelineUrl);
    if (compare && this.referencePlayable && this.referenceStreamsUrl) {
      player.setAttribute("compare-streams-url", this.referenceStreamsUrl);
      player.setAttribute("compare-label", "the teacher’s reference");
    }
    player.setAttribute("label", label);
    return player;
  }

  // --- resuming after a reload ------------------------------------------------------------
  async offerResume() {
    let offer = null;
    for (const record of unfinishedUploads(this.exerciseId)) {
      try {
        const status = await api(`clips/${record.clipId}/status/`);
        if (status.status !== "awaiting_upload") {
          forgetUpload(record);
          continue;
        }
      } catch (error) {
        if (error.status === 404) {
          forgetUpload(record);
          continue;
        }
      }
      offer = record;
    }
    if (!offer || this.upload) return;
    this.resumable = offer;
    const box = this.el.resume;
    const text = document.createElement("p");
    const sent = offer.size ? Math.floor((100 * (offer.sent || 0)) / offer.size) : 0;
    const title = document.createElement("strong");
    title.textContent = "Unfinished upload: ";
    text.append(title, `${offer.name} (${formatBytes(offer.size)}, ${sent} % sent).`);
    const actions = document.createElement("div");
    actions.className = "practice-actions";
    const recording = offer.recorded ? await loadRecording(offer.clipId) : null;
    const hint = document.createElement("p");
    hint.className = "practice-small";
    if (recording) {
      hint.textContent = "Your recording was kept on this device. Carry on where the upload stopped.";
      actions.append(this.button("Resume upload", () => this.startUpload(recording, offer.durationSec, { recorded: true, resume: offer })));
    } else {
      hint.textContent = "Choose the same file again to carry on where it stopped. Starting a different take discards it.";
      actions.append(this.button("Choose the file", () => this.el.fileInput.click()));
    }
    actions.append(this.button("Discard it", () => this.discardResumable(), "secondary"));
    box.replaceChildren(text, hint, actions);
    box.hidden = false;
  }

  button(label, onClick, className = "") {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    if (className) button.className = className;
    button.addEventListener("click", onClick);
    return button;
  }

  async discardResumable() {
    const record = this.resumable;
    this.resumable = null;
    this.el.resume.hidden = true;
    this.el.resume.replaceChildren();
    if (!record) return;
    await discardClip(record);
    this.takesUsed = Math.max(this.takesUsed - 1, 0);
    this.updateTakesText();
    this.showCapture();
    this.el.attempts.refresh();
  }

  // --- a new take -------------------------------------------------------------------------
  checkFile(file) {
    if (!file.size) return "This file is empty. Choose another one.";
    if (file.size > this.maxBytes) {
      return `This video is ${formatBytes(file.size)}, over the ${formatBytes(this.maxBytes)} limit. Trim it or record a shorter take.`;
    }
    const looksLikeVideo = file.type.startsWith("video/") || VIDEO_EXTENSIONS.test(file.name);
    if (!looksLikeVideo) return `“${file.name}” is not a video. Choose an MP4, MOV, WebM, MKV or 3GP file.`;
    return null;
  }

  async fileChosen(file) {
    const resume = this.resumable && sameFile(this.resumable, file) ? this.resumable : null;
    const problem = this.checkFile(file);
    if (problem) {
      this.sayError(problem);
      this.el.fileInput.value = "";
      return;
    }
    const duration = resume ? resume.durationSec : await probeDuration(file);
    this.startUpload(file, duration || this.targetSeconds, { resume });
  }

  async startUpload(file, durationSec, { recorded = false, resume = null } = {}) {
    if (this.upload) {
      this.sayError("One take at a time: wait for the current upload to finish, or cancel it.");
      return;
    }
    const problem = this.checkFile(file);
    if (problem) {
      this.sayError(problem);
      return;
    }
    // A file picked while the camera was on: the camera goes off with the capture tools.
    const recorder = this.querySelector("practika-recorder");
    if (!recorded && recorder && typeof recorder.reset === "function" && recorder.stream) recorder.reset();
    const upload = new TakeUpload({ file, exerciseId: this.exerciseId, durationSec, recorded, resume });
    this.upload = upload;
    this.el.capture.hidden = true;
    this.el.resume.hidden = true;
    const stale = resume ? [] : unfinishedUploads(this.exerciseId);
    this.resumable = null;
    this.showUploading(file, Boolean(resume));
    let created = false;
    try {
      // A different take replaces an unfinished one: its clip would hold one of the takes.
      for (const record of stale) {
        await discardClip(record);
        this.takesUsed = Math.max(this.takesUsed - 1, 0);
      }
      const clipId = await upload.create();
      if (!resume) {
        created = true;
        this.takesUsed += 1;
        this.updateTakesText();
      }
      this.current = { clipId, attempt: "", status: "awaiting_upload", progress: 0, shown: false };
      api(`clips/${clipId}/`).then((clip) => {
        if (this.current && this.current.clipId === clipId) this.current.attempt = clip.attempt_number;
      }, () => {});
      this.el.attempts.refresh();
      // Subscribed before the bytes go: no event of this take can be missed.
      await this.followTake(clipId).ready;
      this.wireUploadEvents(upload);
      this.say(resume ? "Resuming your upload…" : "Uploading your take…");
      await upload.send();
      this.el.uploadLabel.textContent = "Uploaded";
      this.el.pause.hidden = true;
      this.el.cancel.hidden = true;
      this.say("Upload complete. Starting processing…");
      const status = await upload.commit();
      this.takeStatus(status);
    } catch (error) {
      if (error instanceof UploadCancelled) {
        this.say("Upload cancelled. That take no longer counts.");
        if (created) this.takesUsed = Math.max(this.takesUsed - 1, 0);
        this.current = null;
        this.el.steps.hidden = true;
      } else {
        this.sayError(uploadErrorMessage(error, { maxBytes: this.maxBytes }));
        if (error.code === "max_takes_reached" && this.maxTakes !== null) this.takesUsed = this.maxTakes;
      }
      if (!this.current || this.current.status === "awaiting_upload") this.el.steps.hidden = true;
      this.el.attempts.refresh();
    } finally {
      this.upload = null;
      this.el.upload.hidden = true;
      this.el.fileInput.value = "";
      this.updateTakesText();
      this.showCapture();
    }
  }

  showUploading(file, resuming) {
    this.el.uploadLabel.textContent = resuming ? "Resuming" : "Uploading";
    this.el.uploadName.textContent = file.name;
    this.el.progress.value = 0;
    this.el.percent.textContent = "0 %";
    this.el.speed.textContent = "";
    this.el.pause.hidden = false;
    this.el.pause.textContent = "Pause";
    this.el.retry.hidden = true;
    this.el.cancel.hidden = false;
    this.el.upload.hidden = false;
    this.el.steps.hidden = false;
    this.current = null;
    this.renderSteps();
    this.say(resuming ? "Resuming your upload…" : "Preparing your upload…");
  }

  wireUploadEvents(upload) {
    upload.addEventListener("progress", (event) => {
      const { sent, total, speed, remainingSec } = event.detail;
      const percent = total ? Math.floor((100 * sent) / total) : 0;
      this.el.progress.value = percent;
      this.el.percent.textContent = `${percent} %`;
      const parts = [`${formatBytes(sent)} of ${formatBytes(total)}`];
      if (speed > 0 && sent < total) {
        parts.push(`${formatBytes(speed)}/s`);
        if (Number.isFinite(remainingSec)) parts.push(`about ${formatDuration(remainingSec)} left`);
      }
      this.el.speed.textContent = parts.join(" · ");
      this.el.retry.hidden = true;
      if (this.troubled) {
        this.troubled = false;
        this.say("Connection back. Uploading…");
      }
    });
    upload.addEventListener("retrying", (event) => {
      const { delayMs, attempt } = event.detail;
      this.troubled = true;
      const when = delayMs >= 1000 ? `in ${Math.round(delayMs / 1000)} s` : "now";
      this.sayError(`Connection lost. Retrying ${when} (attempt ${attempt})… Your upload keeps what it has sent.`);
    });
    upload.addEventListener("waiting", () => {
      this.troubled = true;
      this.el.retry.hidden = false;
      this.sayError("Connection lost. The upload carries on by itself when you are back online, or choose “Try again now”.");
    });
    upload.addEventListener("resumed", () => {
      this.el.retry.hidden = true;
      this.say("Trying again…");
    });
  }

  togglePause() {
    const upload = this.upload;
    if (!upload) return;
    if (upload.paused) {
      upload.resume();
      this.el.pause.textContent = "Pause";
      this.say("Uploading your take…");
    } else {
      upload.pause();
      this.el.pause.textContent = "Resume";
      this.el.speed.textContent = "";
      this.say("Upload paused. It carries on from here when you resume, even after a reload.");
    }
  }

  // --- processing -------------------------------------------------------------------------
  // Followed while the page is open: after processing, the teacher's feedback may arrive.
  followTake(clipId) {
    if (this.takeSubscription) this.takeSubscription.unsubscribe();
    this.takeSubscription = this.follow(
      clipId,
      (status) => this.takeStatus(status),
      (frame) => {
        if (frame.type === "feedback.published") {
          this.say("Your teacher’s feedback on this take has arrived: see your attempts below.");
          this.el.attempts.refresh();
        }
      },
    );
    return this.takeSubscription;
  }

  takeStatus(status) {
    const current = this.current;
    if (!current || status.clip_id !== current.clipId) return;
    const rank = STATUS_RANK[status.status] ?? 0;
    if (rank < (STATUS_RANK[current.status] ?? 0)) return;
    const changed = status.status !== current.status;
    current.status = status.status;
    current.progress = Math.max(current.progress || 0, status.progress || 0);
    current.playable = current.playable || status.playable;
    this.renderSteps();
    if (status.status === "failed" || status.status === "rejected") {
      this.sayError(statusSentence(status));
    } else if (status.status !== "awaiting_upload" && (changed || !current.said || status.playable !== current.saidPlayable)) {
      // The live region speaks on changes of state, not on every percent.
      current.said = true;
      current.saidPlayable = status.playable;
      this.say(statusSentence({ ...status, progress: current.progress }));
    }
    if (status.playable && !current.shown) {
      current.shown = true;
      this.showTake(current.clipId, current.attempt);
    } else if (status.status === "ready" && changed && current.shown) {
      // Ready adds renditions, thumbnails and the waveform: reload the player unless playing.
      const player = this.el.takeBox.querySelector("practika-player");
      if (!player || player.paused !== false) this.showTake(current.clipId, current.attempt);
    }
    if (changed) this.el.attempts.refresh();
  }

  renderSteps() {
    const status = this.current ? this.current.status : "awaiting_upload";
    const playable = Boolean(this.current && this.current.playable);
    const reached = {
      upload: STATUS_RANK[status] >= 1,
      processing: status === "ready" || (status === "processing" && playable),
      playable: playable || status === "ready",
      ready: status === "ready",
    };
    const active = !reached.upload ? "upload" : !reached.playable ? "processing" : !reached.ready ? "ready" : null;
    const failed = status === "failed" || status === "rejected";
    for (const step of this.el.steps.querySelectorAll("[data-step]")) {
      const name = step.dataset.step;
      step.classList.toggle("done", Boolean(reached[name]));
      step.classList.toggle("failed", failed && name === "processing");
      if (name === active && !failed) step.setAttribute("aria-current", "step");
      else step.removeAttribute("aria-current");
    }
    const percent = this.current && status === "processing" && !playable ? ` (${this.current.progress} %)` : "";
    this.el.processingPercent.textContent = percent;
  }

  // --- the take in the player -------------------------------------------------------------
  showTake(clipId, attemptNumber, { focus = false, push = false } = {}) {
    const label = attemptNumber ? `Take ${attemptNumber}` : "Your take";
    const player = this.player(streamsUrl(clipId), label, {
      timelineUrl: `/api/v1/clips/${clipId}/timeline/`,
      compare: true,
    });
    player.addEventListener("practika:error", (event) => {
      const message = event.detail && event.detail.message;
      this.sayError(`${label} could not be played${message ? `: ${message}` : "."}`);
    });
    this.el.takeBox.replaceChildren(player);
    this.el.takeHeading.textContent = label;
    this.el.takeSection.hidden = false;
    this.el.takeSection.dataset.clipId = clipId;
    if (push) history.pushState(null, "", `?take=${encodeURIComponent(clipId)}#take-heading`);
    if (focus) {
      this.el.takeHeading.focus();
      this.el.takeSection.scrollIntoView({ block: "start" });
    }
  }
}

customElements.define("practika-practice-room", PractikaPracticeRoom);
