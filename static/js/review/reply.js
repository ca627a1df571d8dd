// The teacher's video reply: record it with the camera (MediaRecorder) or pick a file, upload
// it (tus, resumable, when tus-js-client is loaded; else the signed PUT), commit, and follow
// its processing on clip:<id> until it plays in a second player.

import { ApiError, api, csrfToken, errorMessage } from "./api.js";
import { realtime } from "./realtime.js";

const TUS_RETRY_DELAYS_MS = [0, 1000, 3000, 5000, 10000];
const UNKNOWN_DURATION_SECONDS = 1;

function baseType(type) {
  return (type || "").split(";")[0].trim();
}

// A file's length in seconds. Recordings (WebM) often state none until the end is sought.
function durationOf(file) {
  return new Promise((resolve, reject) => {
    const video = document.createElement("video");
    const url = URL.createObjectURL(file);
    const done = (value, error) => {
      URL.revokeObjectURL(url);
      video.removeAttribute("src");
      if (error) reject(error);
      else resolve(value);
    };
    video.preload = "metadata";
    video.muted = true;
    video.addEventListener("loadedmetadata", () => {
      if (Number.isFinite(video.duration)) return done(video.duration);
      video.addEventListener("durationchange", () => {
        if (Number.isFinite(video.duration)) done(video.duration);
      });
      video.currentTime = 1e7;
    });
    video.addEventListener("error", () => done(0, new Error("This file is not a video the browser can read.")));
    video.src = url;
  });
}

function putUpload(file, target, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(target.method || "PUT", target.url);
    for (const [name, value] of Object.entries(target.headers || {})) request.setRequestHeader(name, value);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener("load", () => {
      if (request.status < 300) return resolve();
      let error = {};
      try {
        error = JSON.parse(request.responseText).error || {};
      } catch {
        error = {};
      }
      reject(new ApiError(request.status, error.code || "upload", errorMessage(request.status, error)));
    });
    request.addEventListener("error", () =>
      reject(new ApiError(0, "network", "The upload was cut off. Check your connection and try again.")),
    );
    request.send(file);
  });
}

function tusUpload(file, target, filename, onProgress) {
  return new Promise((resolve, reject) => {
    const upload = new window.tus.Upload(file, {
      endpoint: target.tus_url,
      headers: { "X-CSRFToken": csrfToken() },
      metadata: { filename, filetype: baseType(file.type) },
      retryDelays: TUS_RETRY_DELAYS_MS,
      removeFingerprintOnSuccess: true,
      onProgress: (sent, total) => onProgress(total ? sent / total : 0),
      onSuccess: () => resolve(),
      onError: (error) => {
        const status = error.originalResponse ? error.originalResponse.getStatus() : 0;
        let body = {};
        try {
          body = JSON.parse(error.originalResponse.getBody()).error || {};
        } catch {
          body = {};
        }
        reject(new ApiError(status, body.code || "upload", errorMessage(status, body)));
      },
    });
    upload.start();
  });
}

export class VideoReply {
  // root: the reply section; ensureFeedback(): the draft feedback (created on first need).
  constructor(root, { ensureFeedback, reply }) {
    this.root = root;
    this.ensureFeedback = ensureFeedback;
    this.recordButton = root.querySelector(".reply-record");
    this.stopButton = root.querySelector(".reply-stop");
    this.discardButton = root.querySelector(".reply-discard");
    this.fileInput = root.querySelector(".reply-file");
    this.preview = root.querySelector(".reply-preview");
    this.progress = root.querySelector(".reply-progress");
    this.status = root.querySelector(".reply-status");
    this.playerBox = root.querySelector(".reply-player");
    this.recordButton.addEventListener("click", () => this.record());
    this.stopButton.addEventListener("click", () => this.stop(true));
    this.discardButton.addEventListener("click", () => this.stop(false));
    this.fileInput.addEventListener("change", () => {
      const file = this.fileInput.files[0];
      if (file) this.sendFile(file);
    });
    if (!window.MediaRecorder || !navigator.mediaDevices?.getUserMedia) {
      this.recordButton.disabled = true;
      this.recordButton.title = "This browser cannot record video: upload a file instead.";
    }
    if (reply) this.follow(reply.clip_id, reply);
  }

  say(text, isError = false) {
    this.status.textContent = text;
    this.status.classList.toggle("error", isError);
  }

  busy(on) {
    this.recordButton.disabled = on || !window.MediaRecorder;
    this.fileInput.disabled = on;
  }

  async record() {
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    } catch (error) {
      const reasons = {
        NotAllowedError: "The camera was not allowed. Allow it in the browser's site settings, or upload a file instead.",
        NotFoundError: "No camera or microphone was found. Upload a file instead.",
        NotReadableError: "The camera is in use by another program. Close it and try again.",
      };
      this.say(reasons[error.name] || `The camera could not start: ${error.message}`, true);
      return;
    }
    this.stream = stream;
    this.chunks = [];
    this.recorder = new MediaRecorder(stream);
    this.recorder.addEventListener("dataavailable", (event) => {
      if (event.data.size) this.chunks.push(event.data);
    });
    this.preview.srcObject = stream;
    this.preview.hidden = false;
    this.preview.play().catch(() => {});
    this.startedAt = performance.now();
    this.recorder.start(1000);
    this.busy(true);
    this.stopButton.hidden = false;
    this.discardButton.hidden = false;
    this.stopButton.focus();
    this.say("Recording… Press “Stop and send” when you are done.");
  }

  stop(send) {
    const recorder = this.recorder;
    if (!recorder) return;
    const seconds = (performance.now() - this.startedAt) / 1000;
    recorder.addEventListener("stop", () => {
      this.stream.getTracks().forEach((track) => track.stop());
      this.preview.srcObject = null;
      this.preview.hidden = true;
      this.stopButton.hidden = true;
      this.discardButton.hidden = true;
      this.recorder = null;
      this.busy(false);
      if (!send) {
        this.say("Recording discarded.");
        return;
      }
      const type = baseType(recorder.mimeType) || "video/webm";
      const extension = type.includes("mp4") ? "mp4" : "webm";
      const blob = new Blob(this.chunks, { type });
      this.upload(blob, `reply.${extension}`, seconds);
    }, { once: true });
    recorder.stop();
  }

  async sendFile(file) {
    let seconds;
    try {
      seconds = await durationOf(file);
    } catch {
      // This browser cannot read it, but the server's probe may (HEVC, say), and it
      // measures the real length anyway; a file that is no video is refused there, in words.
      seconds = UNKNOWN_DURATION_SECONDS;
    }
    await this.upload(file, file.name, seconds);
    this.fileInput.value = "";
  }

  async upload(file, filename, seconds) {
    this.busy(true);
    this.progress.hidden = false;
    this.progress.value = 0;
    this.say("Starting the upload…");
    try {
      const feedback = await this.ensureFeedback();
      const target = await api(`/api/v1/feedback/${feedback.id}/reply/`, {
        method: "POST",
        body: {
          duration_sec: Math.max(0.1, Math.round(seconds * 1000) / 1000),
          filename,
          size_bytes: file.size,
          content_type: baseType(file.type) || "application/octet-stream",
        },
      });
      const onProgress = (share) => {
        this.progress.value = Math.round(share * 100);
        this.say(`Uploading… ${Math.round(share * 100)}%`);
      };
      if (window.tus && window.tus.isSupported && target.tus_url) {
        await tusUpload(file, target, filename, onProgress);
      } else {
        await putUpload(file, target, onProgress);
      }
      await api(`/api/v1/clips/${target.clip_id}/commit/`, { method: "POST" });
      this.say("Uploaded. Processing the video…");
      this.playerBox.replaceChildren();
      this.follow(target.clip_id, null);
    } catch (error) {
      this.say(`Upload rejected: ${error.message}`, true);
    } finally {
      this.progress.hidden = true;
      this.busy(false);
    }
  }

  follow(clipId, known) {
    if (this.unsubscribe) this.unsubscribe();
    const show = (status) => this.showStatus(clipId, status);
    this.unsubscribe = realtime().subscribe(`clip:${clipId}`, {
      onEvent: (frame) => {
        if (frame.type.startsWith("clip.")) show(frame.data);
      },
      // Subscribed before reading: nothing can happen between the read and the events.
      onSubscribed: () => api(`/api/v1/clips/${clipId}/status/`).then(show, () => {}),
    });
    if (known) show({ status: known.status, playable: known.playable, progress: known.playable ? 100 : 0 });
  }

  showStatus(clipId, status) {
    if (status.error) {
      this.say(`The video reply could not be processed: ${status.error.message}`, true);
      return;
    }
    if (status.playable) {
      this.say(status.status === "ready" ? "Your video reply is ready." : "Your video reply plays; it is still being finished.");
      if (!this.playerBox.querySelector("practika-player")) {
        const player = document.createElement("practika-player");
        player.setAttribute("streams-url", `/api/v1/clips/${clipId}/streams/`);
        player.setAttribute("label", "Your video reply");
        this.playerBox.replaceChildren(player);
      }
      if (status.status === "ready" && this.unsubscribe) {
        this.unsubscribe();
        this.unsubscribe = null;
      }
      return;
    }
    if (status.status === "awaiting_upload") this.say("The reply was not uploaded yet. Record or pick it again.");
    else this.say(`Processing the video reply… ${status.progress || 0}%`);
  }
}
