// The admin API, from the page. The key lives in sessionStorage (this tab only, gone when it
// closes) and travels as the X-Api-Key header: never in a URL, never in the page's files.

const KEY = "podcasto.apiKey";

// The API's root: the page is <root>admin (on API Gateway <root> is /<stage>/).
const ROOT = new URL("./", window.location.href);

export function apiKey() {
  return window.sessionStorage.getItem(KEY);
}

export function setApiKey(value) {
  if (value) window.sessionStorage.setItem(KEY, value);
  else window.sessionStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `the API answered ${status}`);
    this.status = status;
    this.error = (body && body.error) || null;
    this.body = body || {};
  }

  // "schedule.at must be ..." names schedule.at; "hosts[1].name ..." names hosts[1].name.
  get field() {
    const match = /^([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)*)(?=[\s:]|$)/.exec(this.message);
    return match ? match[1] : null;
  }
}

export const UNREACHABLE = 0;

export async function api(method, path, { body, headers = {} } = {}) {
  const init = { method, cache: "no-store", headers: { "X-Api-Key": apiKey() || "", ...headers } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(new URL(path, ROOT), init);
  } catch {
    throw new ApiError(UNREACHABLE, {
      error: "Unreachable",
      message: "The API cannot be reached. Check that it is running (make local) and your connection, then try again.",
    });
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return { data, headers: response.headers, status: response.status };
}

export function path(...parts) {
  return parts.map((p) => encodeURIComponent(p)).join("/");
}
