// One take's way to the server: ask for the clip (POST /clips/), send its bytes with
// tus-js-client (window.tus, vendored) to the clip's `tus_url`, then commit. Network trouble
// never ends an upload: tus retries with backoff, and when its delays run out the upload
// waits for the browser to come back online (or for "try again") and resumes from the
// server's offset. A reload resumes too (resume.js).

import { ApiError, api, csrfToken } from "./api.js";
import { forgetUpload, keepRecording, rememberUpload, updateUpload } from "./resume.js";

const RETRY_DELAYS_MS = [0, 1000, 3000, 5000, 10000, 20000, 30000, 30000];
const WAIT_OFFLINE_MS = 15000;
// Chunks bound what a dropped connection can cost when a proxy buffers request bodies
// (nginx does by default); without one the server keeps every byte that reached it anyway.
const CHUNK_BYTES = 16 * 1024 * 1024;
const SPEED_WINDOW_MS = 5000;
const SAVE_PROGRESS_MS = 1000;
const COMMIT_ATTEMPTS = 5;

export class UploadCancelled extends Error {
  constructor() {
    super("The upload was cancelled.");
    this.name = "UploadCancelled";
  }
}

function tusError(error) {
  // A tus DetailedError: the server's JSON error body when there is one.
  const response = error && error.originalResponse;
  const status = response ? response.getStatus() : 0;
  if (!status) return new ApiError(0, "network", "Connection lost.");
  let body = null;
  try {
    body = JSON.parse(response.getBody() || "null");
  } catch {
    body = null;
  }
  const detail = (body && body.error) || {};
  return new ApiError(status, detail.code || `http_${status}`, detail.message || "The upload failed.", detail.details || {});
}

// Worth another try: the network, the server's bad moments, an offset to look up again.
function transient(error) {
  if (error.status === 0 || error.status >= 500 || error.status === 423 || error.status === 429) return true;
  return error.status === 409 && ["upload_offset_mismatch", "upload_already_done"].includes(error.code);
}

function wait(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class TakeUpload extends EventTarget {
  // `resume`: a record from resume.js when this file continues an earlier upload.
  constructor({ file, exerciseId, durationSec, recorded = false, resume = null }) {
    super();
    this.file = file;
    this.exerciseId = exerciseId;
    this.durationSec = durationSec;
    this.recorded = recorded;
    this.record = resume;
    this.samples = [];
    this.lastSaved = 0;
    this.paused = false;
    this.cancelled = false;
    this.waiting = null;
  }

  get clipId() {
    return this.record ? this.record.clipId : null;
  }

  // The clip this upload fills: a new one, or the unfinished one being resumed.
  async create() {
    if (this.record) return this.record.clipId;
    const target = await api("clips/", {
      method: "POST",
      body: {
        exercise_id: this.exerciseId,
        duration_sec: Math.max(0.1, Math.round(this.durationSec * 10) / 10),
        filename: this.file.name,
        size_bytes: this.file.size,
        content_type: this.file.type || "application/octet-stream",
      },
    });
    const cancelledMeanwhile = this.cancelled;
    this.record = {
      clipId: target.clip_id,
      tusUrl: target.tus_url,
      exerciseId: this.exerciseId,
      name: this.file.name,
      size: this.file.size,
      type: this.file.type,
      lastModified: this.file.lastModified,
      durationSec: this.durationSec,
      sent: 0,
      startedAt: new Date().toISOString(),
      recorded: false,
    };
    if (cancelledMeanwhile) {
      await discardClip(this.record);
      throw new UploadCancelled();
    }
    rememberUpload(this.record);
    if (this.recorded && (await keepRecording(this.record.clipId, this.file))) {
      this.record.recorded = true;
      rememberUpload(this.record);
    }
    return this.record.clipId;
  }

  // Sends the bytes; resolves when the server has all of them.
  send() {
    return new Promise((resolve, reject) => {
      this.finish = { resolve, reject };
      if (this.cancelled) {
        reject(new UploadCancelled());
        return;
      }
      this.tus = new window.tus.Upload(this.file, {
        endpoint: this.record.tusUrl,
        chunkSize: CHUNK_BYTES,
        retryDelays: RETRY_DELAYS_MS,
        metadata: { filename: this.file.name, filetype: this.file.type || "application/octet-stream" },
        headers: { "X-CSRFToken": csrfToken() },
        removeFingerprintOnSuccess: true,
        onProgress: (sent, total) => this.progress(sent, total),
        onShouldRetry: (error, attempt, options) => this.shouldRetry(error, attempt, options),
        onSuccess: () => {
          this.emit("progress", { sent: this.file.size, total: this.file.size, speed: 0, remainingSec: 0 });
          resolve();
        },
        onError: (error) => this.failed(error),
      });
      this.startTus();
    });
  }

  async startTus() {
    try {
      const previous = await this.tus.findPreviousUploads();
      if (previous.length) this.tus.resumeFromPreviousUpload(previous[0]);
    } catch {
      // No stored uploads to look at (storage blocked): the server's offset still counts.
    }
    this.tus.start();
  }

  shouldRetry(error, attempt, options) {
    const problem = tusError(error);
    if (!transient(problem)) return false;
    this.emit("retrying", { delayMs: options.retryDelays[attempt], attempt: attempt + 1 });
    return true;
  }

  failed(error) {
    if (this.cancelled || this.paused) return;
    const problem = tusError(error);
    if (!transient(problem)) {
      this.finish.reject(problem);
      return;
    }
    // tus's own retries ran out: wait for the network, then carry on from the server's offset.
    this.emit("waiting", { delayMs: WAIT_OFFLINE_MS, online: navigator.onLine });
    const again = () => {
      window.removeEventListener("online", again);
      clearTimeout(timer);
      this.waiting = null;
      if (!this.cancelled && !this.paused) {
        this.emit("resumed", {});
        this.startTus();
      }
    };
    const timer = setTimeout(again, WAIT_OFFLINE_MS);
    window.addEventListener("online", again);
    this.waiting = again;
  }

  retryNow() {
    if (this.waiting) this.waiting();
  }

  progress(sent, total) {
    const now = performance.now();
    this.samples.push([now, sent]);
    while (this.samples.length > 2 && now - this.samples[0][0] > SPEED_WINDOW_MS) this.samples.shift();
    const [firstTime, firstSent] = this.samples[0];
    const speed = now > firstTime ? ((sent - firstSent) * 1000) / (now - firstTime) : 0;
    const remainingSec = speed > 0 ? (total - sent) / speed : Infinity;
    this.emit("progress", { sent, total, speed, remainingSec });
    if (now - this.lastSaved > SAVE_PROGRESS_MS) {
      this.lastSaved = now;
      updateUpload(this.record.clipId, { sent });
    }
  }

  pause() {
    if (!this.tus || this.paused) return;
    this.paused = true;
    this.samples = [];
    this.tus.abort(false);
  }

  resume() {
    if (!this.paused) return;
    this.paused = false;
    this.startTus();
  }

  // Stops for good: the partial upload and the clip go (a clip waiting for its upload would
  // use up one of the exercise's takes).
  async cancel() {
    if (this.cancelled) return;
    this.cancelled = true;
    if (this.waiting) this.waiting = null;
    if (!this.record) return; // still asking for the clip: create() discards it
    if (this.tus) {
      try {
        await this.tus.abort(true);
      } catch {
        // the server drops unfinished uploads when the clip goes, just below
      }
    }
    await discardClip(this.record);
    if (this.finish) this.finish.reject(new UploadCancelled());
  }

  // Tells the server the bytes are all there; retried on network trouble. A commit that
  // already happened (the answer to an earlier try was lost) counts as done.
  async commit() {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const status = await api(`clips/${this.record.clipId}/commit/`, { method: "POST" });
        forgetUpload(this.record);
        return status;
      } catch (error) {
        if (error.code === "clip_state_conflict") {
          forgetUpload(this.record);
          return api(`clips/${this.record.clipId}/status/`);
        }
        if (!(error instanceof ApiError) || !transient(error) || attempt >= COMMIT_ATTEMPTS) throw error;
        this.emit("retrying", { delayMs: 1000 * 2 ** attempt, attempt, commit: true });
        await wait(1000 * 2 ** attempt);
      }
    }
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

// Gives up an unfinished upload: its clip is deleted so it no longer counts as a take.
export async function discardClip(record) {
  forgetUpload(record);
  try {
    await api(`clips/${record.clipId}/`, { method: "DELETE" });
  } catch {
    // Gone already, or unreachable: the server removes expired unfinished clips itself.
  }
}
