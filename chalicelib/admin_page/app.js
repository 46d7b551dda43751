// The admin page: hash routes (#/podcasts, #/podcast/<id>, #/podcast/<id>/edit, #/new,
// #/episode/<id>) over the admin API. No framework, no build step: ES modules the app serves.
import { ApiError, UNREACHABLE, api, apiKey, path, setApiKey } from "./api.js";
import { $, clear, directionOf, el, minutes, setText, utc } from "./dom.js";
import { stopWatching, watchEpisode } from "./episode_view.js";
import { clearErrors, fillForm, requestBody, showFieldError } from "./podcast_form.js";

const VIEWS = ["signin", "podcasts", "podcast", "form", "episode"];
let editing = null; // {podcast, etag} while the form edits a podcast
let episodesCursor = null;

function show(name) {
  for (const view of VIEWS) $(`view-${view}`).hidden = view !== name;
  document.body.dataset.view = name;
  $("sign-out").hidden = name === "signin";
  // Focus the view's heading, so keyboard and screen-reader users start at the new content.
  const heading = $(`view-${name}`).querySelector("h1");
  if (heading) heading.focus();
}

function alertMessage(message) {
  setText("alert", message || "");
  $("alert").hidden = !message;
}

// What every view does with an API error it does not handle itself.
function failed(error) {
  if (!(error instanceof ApiError)) throw error;
  if (error.status === 401) {
    setApiKey(null);
    signIn("The API refused the key (401): sign in again with this stage's API key.");
    return;
  }
  if (error.status === UNREACHABLE) alertMessage(error.message);
  else alertMessage(`${error.error || "Error"} (${error.status}): ${error.message}`);
}

function signIn(message) {
  stopWatching();
  show("signin");
  $("api-key").value = "";
  setText("signin-error", message || "");
  $("signin-error").hidden = !message;
  $("api-key").focus();
}

async function onSignIn(event) {
  event.preventDefault();
  const key = $("api-key").value.trim();
  if (!key) {
    setText("signin-error", "Enter the API key.");
    $("signin-error").hidden = false;
    return;
  }
  setApiKey(key);
  $("signin-submit").disabled = true;
  try {
    await api("GET", "podcasts");
    alertMessage(null);
    $("api-key").value = "";
    if (!window.location.hash || window.location.hash === "#/signin") window.location.hash = "#/podcasts";
    else route();
  } catch (error) {
    setApiKey(null);
    const message = error.status === 401
      ? "That key is wrong: the API answered 401 Unauthorized."
      : error.message;
    setText("signin-error", message);
    $("signin-error").hidden = false;
    $("api-key").focus();
  } finally {
    $("signin-submit").disabled = false;
  }
}

// -- podcasts --------------------------------------------------------------------------------
async function showPodcasts() {
  show("podcasts");
  const { data } = await api("GET", "podcasts");
  const rows = $("podcast-rows");
  clear(rows);
  $("podcasts-empty").hidden = data.podcasts.length > 0;
  for (const podcast of data.podcasts) {
    const last = el("td", { class: "last-episode" }, "…");
    rows.append(el("tr", { "data-podcast": podcast.id },
      el("th", { scope: "row" }, el("a", { href: `#/podcast/${encodeURIComponent(podcast.id)}`, dir: "auto", class: "podcast-link" }, podcast.title)),
      el("td", {}, podcast.language),
      el("td", { class: "schedule-text" }, podcast.schedule_text || (podcast.schedule ? "" : "on demand"), podcast.paused ? " (paused)" : ""),
      el("td", { class: "next-run" }, podcast.next_run_at ? el("time", { datetime: podcast.next_run_at }, utc(podcast.next_run_at)) : "—"),
      last));
    lastEpisode(podcast.id, last);
  }
}

async function lastEpisode(podcastId, cell) {
  try {
    const { data } = await api("GET", `${path("podcasts", podcastId)}/episodes?limit=1`);
    const [episode] = data.episodes;
    cell.replaceChildren(episode
      ? el("a", { href: `#/episode/${episode.episode_id}` }, `${episode.status} · ${utc(episode.created_at)}`)
      : "none yet");
  } catch (error) {
    cell.replaceChildren(error.message);
  }
}

function detail(list, term, ...value) {
  list.append(el("dt", {}, term), el("dd", { dir: "auto" }, ...value));
}

async function showPodcast(podcastId) {
  show("podcast");
  const { data: podcast } = await api("GET", path("podcasts", podcastId));
  const view = $("view-podcast");
  view.dataset.podcast = podcast.id;
  setText("podcast-title", podcast.title);
  $("podcast-title").setAttribute("lang", podcast.language);
  $("edit-podcast").setAttribute("href", `#/podcast/${encodeURIComponent(podcast.id)}/edit`);
  const details = $("podcast-details");
  clear(details);
  details.setAttribute("dir", directionOf(podcast.language));
  details.setAttribute("lang", podcast.language);
  detail(details, "Id", podcast.id);
  if (podcast.description) detail(details, "Description", podcast.description);
  if (podcast.author) detail(details, "Author", podcast.author);
  detail(details, "Language · format", `${podcast.language} · ${podcast.format}`);
  detail(details, "Hosts", (podcast.hosts || []).map((h) => (h.role ? `${h.name} (${h.role})` : h.name)).join(", ") || "—");
  detail(details, "Sources", (podcast.sources || []).map((s) => (typeof s === "string" ? s : `export ${s.export}${s.chat ? ` (${s.chat})` : ""}`)).join(", "));
  detail(details, "Schedule", podcast.schedule_text || "on demand", podcast.paused ? " (paused)" : "");
  detail(details, "Next run", podcast.next_run_at ? utc(podcast.next_run_at) : "—");
  detail(details, "Target length", `${podcast.target_minutes ?? 20} min`);
  clearErrors($("start-form"));
  $("start-form").reset();
  episodesCursor = null;
  clear($("episode-rows"));
  await loadEpisodes(podcast.id);
}

async function loadEpisodes(podcastId) {
  const query = episodesCursor ? `?cursor=${encodeURIComponent(episodesCursor)}` : "";
  const { data } = await api("GET", `${path("podcasts", podcastId)}/episodes${query}`);
  for (const episode of data.episodes) {
    $("episode-rows").append(el("tr", { "data-episode": episode.episode_id, "data-status": episode.status },
      el("td", {}, el("a", { href: `#/episode/${episode.episode_id}` }, utc(episode.created_at) || episode.episode_id)),
      el("td", {}, episode.status),
      el("td", {}, `${utc(episode.window.start)} – ${utc(episode.window.end) || "now"}`),
      el("td", {}, minutes(episode.duration_seconds)),
      el("td", { dir: "auto" }, episode.error ? `${episode.error} in ${episode.failed_state || "?"}` : "")));
  }
  $("episodes-empty").hidden = $("episode-rows").children.length > 0;
  episodesCursor = data.next_cursor;
  $("more-episodes").hidden = !episodesCursor;
}

async function onStartEpisode(event) {
  event.preventDefault();
  const form = $("start-form");
  clearErrors(form);
  const body = {};
  for (const name of ["start_date", "end_date", "days_back", "language", "format"]) {
    const value = $(`start-${name}`).value.trim();
    if (value) body[name] = name === "days_back" && /^\d+$/.test(value) ? Number(value) : value;
  }
  const podcastId = $("view-podcast").dataset.podcast;
  $("start-episode").disabled = true;
  try {
    // One key per click: a double submit or a retried request starts one episode.
    const { data } = await api("POST", `${path("podcasts", podcastId)}/episodes`, {
      body, headers: { "Idempotency-Key": window.crypto.randomUUID() },
    });
    window.location.hash = `#/episode/${data.episode_id}`;
  } catch (error) {
    if (error.status === 400) showFieldError(error, { prefix: "start-", fallback: "error-start-form" });
    else failed(error);
  } finally {
    $("start-episode").disabled = false;
  }
}

// -- the podcast form --------------------------------------------------------------------------
async function showForm(podcastId) {
  show("form");
  editing = null;
  if (podcastId) {
    const { data, headers } = await api("GET", path("podcasts", podcastId));
    editing = { podcast: data, etag: headers.get("ETag") };
    setText("form-title", "Edit podcast");
  } else {
    setText("form-title", "New podcast");
  }
  fillForm(editing && editing.podcast);
  $("form-title").focus();
}

async function onSavePodcast(event) {
  event.preventDefault();
  const form = $("podcast-form");
  clearErrors(form);
  const body = requestBody(editing && editing.podcast);
  $("save-podcast").disabled = true;
  try {
    let saved;
    if (editing) {
      if (!Object.keys(body).length) {
        window.location.hash = `#/podcast/${encodeURIComponent(editing.podcast.id)}`;
        return;
      }
      ({ data: saved } = await api("PATCH", path("podcasts", editing.podcast.id), {
        body, headers: editing.etag ? { "If-Match": editing.etag } : {},
      }));
    } else {
      ({ data: saved } = await api("POST", "podcasts", { body }));
    }
    window.location.hash = `#/podcast/${encodeURIComponent(saved.id)}`;
  } catch (error) {
    if (error.status === 400 || error.status === 409) showFieldError(error, { fallback: "error-form" });
    else if (error.status === 412) showFieldError(error, { fallback: "error-form" });
    else failed(error);
  } finally {
    $("save-podcast").disabled = false;
  }
}

// -- routing -----------------------------------------------------------------------------------
async function route() {
  if (!apiKey()) {
    signIn();
    return;
  }
  alertMessage(null);
  stopWatching();
  const hash = window.location.hash || "#/podcasts";
  let match;
  try {
    if ((match = /^#\/podcast\/([^/]+)\/edit$/.exec(hash))) await showForm(decodeURIComponent(match[1]));
    else if ((match = /^#\/podcast\/([^/]+)$/.exec(hash))) await showPodcast(decodeURIComponent(match[1]));
    else if (hash === "#/new") await showForm(null);
    else if ((match = /^#\/episode\/([^/]+)$/.exec(hash))) {
      show("episode");
      await watchEpisode(decodeURIComponent(match[1]), { onError: failed });
    } else await showPodcasts();
  } catch (error) {
    failed(error);
  }
}

function start() {
  $("signin-form").addEventListener("submit", onSignIn);
  $("start-form").addEventListener("submit", onStartEpisode);
  $("podcast-form").addEventListener("submit", onSavePodcast);
  $("more-episodes").addEventListener("click", () => loadEpisodes($("view-podcast").dataset.podcast).catch(failed));
  $("sign-out").addEventListener("click", () => {
    setApiKey(null);
    signIn("Signed out.");
  });
  window.addEventListener("hashchange", route);
  route();
}

start();
