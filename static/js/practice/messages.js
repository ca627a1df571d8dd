// What went wrong, in plain words: the API's error codes and the pipeline's rejections turned
// into sentences a student can act on.

export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return "";
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

export function formatDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return "";
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  const rest = String(whole % 60).padStart(2, "0");
  return `${minutes}:${rest}`;
}

// An ApiError (or any error) from asking for, sending or committing an upload.
export function uploadErrorMessage(error, { maxBytes } = {}) {
  const code = error && error.code;
  switch (code) {
    case "max_takes_reached": {
      const max = error.details && error.details.max_takes;
      return max
        ? `You have used all ${max} takes this exercise allows.`
        : "You have used every take this exercise allows.";
    }
    case "upload_too_large":
      return maxBytes
        ? `This video is too big to upload. The limit is ${formatBytes(maxBytes)}.`
        : "This video is too big to upload.";
    case "media_unsupported_type":
    case "tus_content_type":
      return "That file is not a video Practika can take. Choose an MP4, MOV, WebM, MKV or 3GP file.";
    case "upload_expired":
      return "This upload waited too long and expired. Start the take again.";
    case "upload_size_mismatch":
      return "The file changed while it was uploading. Choose it again to start over.";
    case "not_authenticated":
    case "authentication_failed":
      return "You have been logged out. Log in again, then choose your take again.";
    case "not_found":
      return "This exercise is no longer open to you. Check that you are still enrolled.";
    case "network":
      return "Connection lost. Check your internet connection.";
    default:
      break;
  }
  if (error && error.status === 401) return "You have been logged out. Log in again to upload.";
  if (error && error.status === 403) return "You may not upload a take here.";
  if (error && error.status === 413) return "This video is too big to upload.";
  if (error && error.status === 429) return "Too many requests just now. Wait a moment and try again.";
  if (error && error.status >= 500) return "Practika had a problem on its side. Try again in a moment.";
  const fields = error && error.details ? Object.values(error.details).flat().filter((m) => typeof m === "string") : [];
  const detail = fields.length ? ` ${fields.join(" ")}` : "";
  return `${(error && error.message) || "The upload failed."}${detail}`;
}

// A clip's status data (`GET /clips/{id}/status/`, the `data` of clip.* events) as a sentence.
export function statusSentence(status) {
  switch (status.status) {
    case "awaiting_upload":
      return "Waiting for the upload to finish.";
    case "uploaded":
      return "Uploaded. Processing starts in a moment…";
    case "processing":
      return status.playable
        ? `Your take can be watched now. Still preparing other sizes (${status.progress} %)…`
        : `Processing your take (${status.progress} %)…`;
    case "ready":
      return "Your take is ready.";
    case "rejected":
      return `Your video was rejected: ${errorText(status)}`;
    case "failed":
      return `Processing failed: ${errorText(status)} Try uploading the take again.`;
    default:
      return "";
  }
}

function errorText(status) {
  const message = status.error && status.error.message;
  if (!message) return "no reason was given.";
  return /[.!?]$/.test(message) ? message : `${message}.`;
}

export const STATUS_LABELS = {
  awaiting_upload: "Awaiting upload",
  uploaded: "Uploaded",
  processing: "Processing",
  ready: "Ready",
  failed: "Failed",
  rejected: "Rejected",
};
