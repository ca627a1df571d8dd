// The JSON API with the session cookie (DRF SessionAuthentication): one fetch wrapper whose
// failures are ApiErrors carrying the server's error code and message (API.md "Errors").

export const API = "/api/v1";

export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }

  get isNetwork() {
    return this.status === 0;
  }
}

export function csrfToken() {
  // The form token the page rendered first: the cookie may be HttpOnly on some deployments.
  const field = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (field && field.value) return field.value;
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export async function api(path, { method = "GET", body, signal } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD") headers["X-CSRFToken"] = csrfToken();
  let response;
  try {
    response = await fetch(path.startsWith("/") ? path : `${API}/${path}`, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "network", "Practika could not be reached.");
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(
      response.status,
      error.code || `http_${response.status}`,
      error.message || response.statusText || "The server refused the request.",
      error.details || {},
    );
  }
  return data;
}

// Every page of a paginated list (API.md: lists carry `results` and a `next` URL).
export async function apiAll(path) {
  const items = [];
  let next = path;
  while (next) {
    const page = await api(next.startsWith("http") ? new URL(next).pathname + new URL(next).search : next);
    if (Array.isArray(page)) return page;
    items.push(...page.results);
    next = page.next;
  }
  return items;
}
