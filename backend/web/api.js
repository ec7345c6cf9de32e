// The backend's HTTP API. The token lives in sessionStorage (gone when the tab closes, never in a
// URL); every failure becomes an ApiError carrying the server's {"error": {code, message}} body.

const SESSION_KEY = "todo.session";

export class ApiError extends Error {
  constructor(status, code, message, { details = null, retryAfter = null } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter;
  }
}

export const session = {
  get() {
    try {
      return JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? "null");
    } catch {
      return null; // a damaged entry is a logged-out tab, not a broken page
    }
  },
  set(auth) {
    sessionStorage.setItem(SESSION_KEY, JSON.stringify({ token: auth.access_token, user: auth.user }));
  },
  clear() {
    sessionStorage.clear(); // the token and every per-conversation stream position with it
  },
};

let unauthorized = () => {};

/** Called with the ApiError when a request that carried a token gets 401 (expired or revoked). */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

export function browserTimeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

async function request(method, path, { body, headers = {}, signal } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, signal };
  const token = session.get()?.token;
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "network_error", "The server could not be reached. Check your connection.");
  }
  if (response.ok) return response;
  const error = await errorOf(response);
  if (response.status === 401 && token) unauthorized(error);
  throw error;
}

async function errorOf(response) {
  let body = {};
  try {
    body = (await response.json()).error ?? {};
  } catch {
    // not our JSON (a proxy's error page): fall back to the status line
  }
  const seconds = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
  return new ApiError(response.status, body.code ?? `http_${response.status}`, body.message ?? response.statusText, {
    details: body.details ?? null,
    retryAfter: Number.isFinite(seconds) ? seconds : null,
  });
}

async function json(method, path, body) {
  const response = await request(method, path, { body });
  const isJson = response.headers.get("Content-Type")?.includes("application/json");
  return isJson ? response.json() : null; // 204, or a 202 that only says "accepted"
}

const conversationPath = (id) => `/api/conversations/${encodeURIComponent(id)}`;

export const api = {
  register: (email, password, name) => json("POST", "/api/auth/register", { email, password, name: name || undefined }),
  login: (email, password) => json("POST", "/api/auth/login", { email, password }),

  conversations: () => json("GET", "/api/conversations?limit=50"),
  conversation: (id) => json("GET", conversationPath(id)),
  deleteConversation: (id) => json("DELETE", conversationPath(id)),

  /** query: the GET /api/tasks parameters, e.g. {status: "pending", sort_by: "due_date", limit: 100} */
  tasks: (query) => json("GET", `/api/tasks?${new URLSearchParams(query)}`),
  setCompleted: (id, completed) => json("PATCH", `/api/tasks/${encodeURIComponent(id)}`, { completed }),

  /** Starts a turn; the response body is its event stream. The browser's zone defines "Friday". */
  chat: (message, conversationId, signal) =>
    request("POST", "/api/chat", {
      body: { message, ...(conversationId ? { conversation_id: conversationId } : {}) },
      headers: { Accept: "text/event-stream", "X-Timezone": browserTimeZone() },
      signal,
    }),

  /** The running turn's events after `lastId` (all of them without one); status 204 if none runs. */
  resume: (id, lastId, signal) =>
    request("GET", `${conversationPath(id)}/stream`, {
      headers: { Accept: "text/event-stream", ...(lastId ? { "Last-Event-ID": lastId } : {}) },
      signal,
    }),
  stop: (id) => json("POST", `${conversationPath(id)}/stop`),
};
