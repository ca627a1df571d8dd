// Clock text for media positions, and GETs whose failures read as plain words.

export function clock(seconds) {
  // 75.25 -> "1:15.3", as static/js/review/time.js writes it.
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return "–";
  const tenths = Math.round(Math.max(0, seconds) * 10);
  const minutes = Math.floor(tenths / 600);
  const rest = (tenths - minutes * 600) / 10;
  return `${minutes}:${rest.toFixed(1).padStart(4, "0")}`;
}

export function spokenClock(seconds) {
  // For aria-valuetext: "1 minute 15.3 seconds" reads better than "1:15.3".
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return "unknown";
  const total = Math.max(0, Math.round(seconds * 10) / 10);
  const minutes = Math.floor(total / 60);
  const rest = Math.round((total - minutes * 60) * 10) / 10;
  const secondsText = `${rest} second${rest === 1 ? "" : "s"}`;
  return minutes ? `${minutes} minute${minutes === 1 ? "" : "s"} ${secondsText}` : secondsText;
}

const PLAIN_MESSAGES = {
  0: "The connection to Practika was lost.",
  401: "You are logged out. Log in again to watch this video.",
  403: "You may not watch this video.",
  404: "This video is not available: it was removed, or it is not yours to see.",
  409: "This video is not ready to play yet.",
  429: "Practika is busy. The player will try again in a moment.",
};

export class LoadError extends Error {
  constructor(message, { status = 0, code = "" } = {}) {
    super(message);
    this.name = "LoadError";
    this.status = status;
    this.code = code;
  }

  // Worth another try later: a dropped connection, a busy or failing server, or a clip
  // that is still being processed (409 clip_not_playable).
  get retryable() {
    return this.status === 0 || this.status === 409 || this.status === 429 || this.status >= 500;
  }
}

function plainMessage(status) {
  if (status >= 500) return "The server had a problem. The player will try again.";
  return PLAIN_MESSAGES[status] || `The server refused the request (HTTP ${status}).`;
}

async function request(url, { signal, accept }) {
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", headers: { Accept: accept }, signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new LoadError(PLAIN_MESSAGES[0]);
  }
  if (!response.ok) {
    let code = "";
    let message = "";
    try {
      const body = await response.json();
      code = body?.error?.code || "";
      message = body?.error?.message || "";
    } catch {
      // Not the API's error format (a proxy's page, say): the status says enough.
    }
    // Who may see what is the server's business; the person only needs to know it won't play.
    const plain = [401, 403, 404].includes(response.status) || !message;
    throw new LoadError(plain ? plainMessage(response.status) : message, { status: response.status, code });
  }
  return response;
}

export async function fetchJSON(url, { signal } = {}) {
  const response = await request(url, { signal, accept: "application/json" });
  try {
    return await response.json();
  } catch {
    throw new LoadError("The server answered with something the player cannot read.", {
      status: response.status,
    });
  }
}

export async function fetchText(url, { signal } = {}) {
  const response = await request(url, { signal, accept: "text/vtt, text/plain, */*" });
  return response.text();
}

export function finite(value) {
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

export function clamp(value, low, high) {
  return Math.min(high, Math.max(low, value));
}
