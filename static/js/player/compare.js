// The second video shown beside the main one (the teacher's reference or an earlier take).
// It follows the main video: same play state and speed, at the main time plus ``offset``
// seconds, corrected whenever it drifts by more than a few frames.

import { attachStream } from "./engine.js";
import { fetchJSON } from "./format.js";

// Drift tolerated while both play; more than this and the compare video is re-seeked.
const PLAYING_DRIFT = 0.25;
const PAUSED_DRIFT = 0.04;

export class ComparePane {
  constructor(video, { preference, onMessage }) {
    this.video = video;
    this.preference = preference;
    this.onMessage = onMessage;
    this.offset = 0;
    this.base = 0;
    this.source = null;
    this.loading = null;
    this.ready = false;
    this.url = "";
    video.muted = true;
    video.addEventListener("loadedmetadata", () => {
      this.ready = true;
      this.onMessage("");
    });
  }

  open(url) {
    if (this.url === url && this.loading) return this.loading;
    this.close();
    this.url = url;
    this.loading = this.load(url);
    return this.loading;
  }

  async load(url) {
    this.onMessage("Loading the video to compare…");
    try {
      const streams = await fetchJSON(url);
      // A segment's streams start ``offset`` s before its start (see the main player).
      const isSegment = typeof streams.start === "number" && typeof streams.end === "number";
      this.base = isSegment ? streams.start - (Number(streams.offset) || 0) : 0;
      if (streams.poster) this.video.poster = streams.poster;
      this.source = await attachStream(this.video, streams.hls, {
        preference: this.preference,
        onFatal: () => this.onMessage("The video to compare stopped loading. Close and open it to retry."),
      });
      if (!this.source) this.onMessage("This browser cannot play the video to compare.");
    } catch (error) {
      this.onMessage(`The video to compare could not be loaded: ${error.message}`);
      this.loading = null;
    }
  }

  close() {
    this.source?.destroy();
    this.source = null;
    this.loading = null;
    this.ready = false;
    this.url = "";
  }

  get audible() {
    return !this.video.muted;
  }

  set audible(on) {
    this.video.muted = !on;
  }

  // Clip time of the compare video right now.
  get time() {
    return this.base + this.video.currentTime;
  }

  follow(time, playing, rate) {
    const video = this.video;
    if (!this.ready || !Number.isFinite(video.duration)) return;
    if (video.playbackRate !== rate) video.playbackRate = rate;
    const wanted = time + this.offset - this.base;
    const target = Math.min(Math.max(0, wanted), video.duration);
    const inside = wanted >= 0 && wanted < video.duration;
    const drift = Math.abs(video.currentTime - target);
    if (!playing || !inside) {
      if (!video.paused) video.pause();
      if (drift > PAUSED_DRIFT && !video.seeking) video.currentTime = target;
      return;
    }
    if (drift > PLAYING_DRIFT && !video.seeking) video.currentTime = target;
    if (video.paused) video.play().catch(() => {});
  }
}
