// The JSON API: one place that adds the session token and turns RFC 9457 problem+json answers
// into errors whose `detail` is the server's message for the person.

const SESSION_KEY = "amparo.session";

/** The server answered with a problem. `detail` is written for the person. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem?.title ?? "";
    this.detail = problem?.detail ?? "";
    this.problem = problem;
  }
}

/** The request never got an answer: offline, or the server is unreachable. */
export class NetworkError extends Error {}

export function session() {
  try {
    return JSON.parse(localStorage.getItem(SESSION_KEY) ?? "null");
  } catch {
    return null;
  }
}

export function saveSession(value) {
  if (value) localStorage.setItem(SESSION_KEY, JSON.stringify(value));
  else localStorage.removeItem(SESSION_KEY);
}

export function authHeaders() {
  const current = session();
  return current ? { Authorization: `Bearer ${current.token}` } : {};
}

/** Turns a non-2xx response into an ApiError, reading problem+json when present. */
export async function problemOf(response) {
  let problem = null;
  try {
    if ((response.headers.get("content-type") ?? "").includes("json")) problem = await response.json();
  } catch {
    // A body that is not JSON: the status alone says what happened.
  }
  if (response.status === 401) window.dispatchEvent(new CustomEvent("amparo:unauthorized"));
  return new ApiError(response.status, problem);
}

/** Calls the API; resolves to the parsed JSON body (or null for an empty one). */
export async function api(path, { method = "GET", json, headers = {} } = {}) {
  const init = { method, headers: { ...authHeaders(), ...headers } };
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new NetworkError(error?.message ?? "network error");
  }
  if (!response.ok) throw await problemOf(response);
  const type = response.headers.get("content-type") ?? "";
  return type.includes("json") ? response.json() : null;
}
