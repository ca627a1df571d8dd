// The JSON API with the session cookie (DRF's SessionAuthentication wants the CSRF token on
// every write), and its one error format turned into sentences a person can act on.

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  // A deployment may make the cookie HttpOnly: then the token the page rendered is the one.
  return document.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
}

export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const STATUS_MESSAGES = {
  0: "Could not reach the server. Check your connection and try again.",
  401: "You are logged out. Log in again and retry.",
  403: "You may not do this.",
  404: "This no longer exists, or you may not see it.",
  409: "This cannot be done in the current state.",
  413: "The file is too large.",
  415: "This type of file is not accepted.",
  429: "Too many requests. Wait a moment and try again.",
};

// {"scores": {"0": {"score": ["Must be ..."]}}} -> ["scores 1, score: Must be ..."]
function detailLines(details, path = []) {
  if (Array.isArray(details)) {
    const label = path.length ? `${path.join(", ")}: ` : "";
    return details
      .filter((item) => typeof item === "string")
      .map((text) => `${label}${text}`);
  }
  if (details && typeof details === "object") {
    return Object.entries(details).flatMap(([key, value]) =>
      detailLines(value, [...path, /^\d+$/.test(key) ? String(Number(key) + 1) : key.replaceAll("_", " ")]),
    );
  }
  return [];
}

export function errorMessage(status, error) {
  const base = (error && error.message) || STATUS_MESSAGES[status] || `The server answered ${status}.`;
  const lines = detailLines(error && error.details);
  return lines.length ? `${base} ${lines.join(" ")}` : base;
}

export async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", STATUS_MESSAGES[0]);
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data && data.error ? data.error : {};
    throw new ApiError(response.status, error.code || `http_${response.status}`, errorMessage(response.status, error), error.details || {});
  }
  return data;
}

// Every item of a paginated list ({"results", "next"}), or the list itself when unpaginated.
export async function apiAll(path) {
  const items = [];
  let next = path;
  while (next) {
    const page = await api(next);
    if (Array.isArray(page)) return page;
    items.push(...page.results);
    next = page.next;
  }
  return items;
}
