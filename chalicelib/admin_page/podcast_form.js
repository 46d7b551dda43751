// The podcast form: every field of PodcastCreate / PodcastPatch (docs/openapi.json), filled from
// a podcast, read back into a request body, and the API's 400 shown at the field it names.
import { $ } from "./dom.js";

const TEXT_FIELDS = ["title", "description", "author", "script_style", "image"];
const NUMBER_FIELDS = ["target_minutes", "days_back"];
const VOICE_PROVIDERS = ["espeak", "polly", "gemini"];
// What the form edits; on edit only the fields that changed are sent (a PATCH).
const FIELDS = ["title", "description", "author", "language", "format", "hosts", "sources", "schedule",
  "paused", "speech_provider", "script_style", "target_minutes", "days_back", "explicit", "category", "image"];

function value(id) {
  return $(id).value.trim();
}

export function fillForm(podcast) {
  const form = $("podcast-form");
  form.reset();
  clearErrors(form);
  $("field-id").hidden = Boolean(podcast);
  if (!podcast) {
    $("f-schedule-timezone").value = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
    return;
  }
  for (const name of TEXT_FIELDS) $(`f-${name}`).value = podcast[name] ?? "";
  for (const name of NUMBER_FIELDS) $(`f-${name}`).value = podcast[name] ?? "";
  $("f-language").value = podcast.language;
  $("f-format").value = podcast.format;
  $("f-speech_provider").value = podcast.speech_provider ?? "";
  $("f-category").value = podcast.category ?? "";
  $("f-explicit").checked = Boolean(podcast.explicit);
  $("f-paused").checked = Boolean(podcast.paused);
  $("f-sources").value = (podcast.sources || [])
    .map((s) => (typeof s === "string" ? s : JSON.stringify(s))).join("\n");
  (podcast.hosts || []).slice(0, 2).forEach((host, i) => {
    $(`f-hosts-${i}-name`).value = host.name ?? "";
    $(`f-hosts-${i}-role`).value = host.role ?? "";
    for (const provider of VOICE_PROVIDERS) $(`f-hosts-${i}-voices-${provider}`).value = (host.voices || {})[provider] ?? "";
  });
  const schedule = podcast.schedule;
  $("f-schedule-kind").value = !schedule ? "none" : schedule.days ? "weekly" : schedule.every_days ? "every" : "daily";
  if (schedule) {
    $("f-schedule-at").value = schedule.at ?? "";
    $("f-schedule-timezone").value = schedule.timezone ?? "";
    $("f-schedule-every_days").value = schedule.every_days ?? "";
    $("f-schedule-starting").value = schedule.starting ?? "";
    for (const box of document.querySelectorAll('#schedule input[name="day"]')) {
      box.checked = (schedule.days || []).includes(box.value);
    }
  }
}

function number(id) {
  const text = value(id);
  if (text === "") return null;
  return /^-?\d+$/.test(text) ? Number(text) : text; // the API names a bad number; send it as typed
}

function sources() {
  return $("f-sources").value.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
    if (!line.startsWith("{")) return line;
    try {
      return JSON.parse(line);
    } catch {
      return line; // the API answers which source is wrong
    }
  });
}

function hosts() {
  const found = [];
  for (const i of [0, 1]) {
    const host = {};
    if (value(`f-hosts-${i}-name`)) host.name = value(`f-hosts-${i}-name`);
    if (value(`f-hosts-${i}-role`)) host.role = value(`f-hosts-${i}-role`);
    const voices = {};
    for (const provider of VOICE_PROVIDERS) {
      if (value(`f-hosts-${i}-voices-${provider}`)) voices[provider] = value(`f-hosts-${i}-voices-${provider}`);
    }
    if (Object.keys(voices).length) host.voices = voices;
    if (Object.keys(host).length) found.push(host);
  }
  return found;
}

function schedule() {
  const kind = $("f-schedule-kind").value;
  if (kind === "none") return null;
  const result = { at: value("f-schedule-at"), timezone: value("f-schedule-timezone") };
  if (kind === "weekly") {
    result.days = [...document.querySelectorAll('#schedule input[name="day"]:checked')].map((b) => b.value);
  }
  if (kind === "every") {
    result.every_days = number("f-schedule-every_days");
    if (value("f-schedule-starting")) result.starting = value("f-schedule-starting");
  }
  return result;
}

// The whole podcast as the form shows it.
function formValues() {
  const body = {};
  for (const name of TEXT_FIELDS) body[name] = value(`f-${name}`) || null;
  for (const name of NUMBER_FIELDS) body[name] = number(`f-${name}`);
  body.title = value("f-title"); // required: an empty title is the API's to name
  body.language = $("f-language").value;
  body.format = $("f-format").value;
  body.speech_provider = $("f-speech_provider").value || null;
  body.category = $("f-category").value || null;
  body.explicit = $("f-explicit").checked;
  body.paused = $("f-paused").checked;
  body.sources = sources();
  body.hosts = hosts();
  body.schedule = schedule();
  return body;
}

// Compared with keys sorted and empty members dropped: {"name": "A", "role": null} is {"name": "A"}.
function canonical(v) {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") {
    const out = {};
    for (const key of Object.keys(v).sort()) {
      const inner = canonical(v[key]);
      if (inner === null || inner === "" || (typeof inner === "object" && !Array.isArray(inner) && !Object.keys(inner).length)) continue;
      out[key] = inner;
    }
    return out;
  }
  return v ?? null;
}

function same(a, b) {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

// A create body: the fields given (empty optional ones left out); an edit: only what changed.
export function requestBody(original) {
  const current = formValues();
  const body = {};
  if (!original) {
    if (value("f-id")) body.id = value("f-id");
    for (const name of FIELDS) {
      const v = current[name];
      if (v === null || v === "" || (Array.isArray(v) && v.length === 0 && name === "hosts")) continue;
      if (name === "explicit" || name === "paused") {
        if (v) body[name] = v;
        continue;
      }
      body[name] = v;
    }
    return body;
  }
  for (const name of FIELDS) {
    const before = name === "description" || name === "author" ? original[name] || null : original[name];
    if (!same(current[name], before)) body[name] = current[name];
  }
  return body;
}

export function clearErrors(scope) {
  for (const node of scope.querySelectorAll(".error")) {
    node.hidden = true;
    node.textContent = "";
  }
  for (const node of scope.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

// "hosts[1].voices.polly" → error-hosts-1-voices-polly, else error-hosts-1-voices, error-hosts-1, error-hosts.
function candidates(field, prefix) {
  const parts = field.replace(/\[(\d+)\]/g, ".$1").split(".");
  const found = [];
  for (let n = parts.length; n > 0; n -= 1) found.push(`error-${prefix}${parts.slice(0, n).join("-")}`);
  return found;
}

// Show an API error at the field it names (or at the form's top); returns the element used.
export function showFieldError(error, { prefix = "", fallback }) {
  const field = error.field;
  const target = (field && candidates(field, prefix).map((id) => $(id)).find(Boolean)) || $(fallback);
  target.textContent = error.message;
  target.hidden = false;
  const control = document.querySelector(`[aria-describedby~="${target.id}"]`);
  if (control) {
    control.setAttribute("aria-invalid", "true");
    control.focus();
  } else {
    target.setAttribute("tabindex", "-1");
    target.focus();
  }
  return target;
}
