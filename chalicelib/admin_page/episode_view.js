// Watching one episode: GET episodes/{id} about once a second while it is made, the workflow's
// states as they pass (each with its time), then the audio, the transcript and the links; a
// failed episode shows its reason, its failed state and Retry.
import { api, path } from "./api.js";
import { $, clear, clock, directionOf, el, minutes, safeUrl, setText } from "./dom.js";

// Once a second while the episode is made: each poll is one GetExecutionHistory call, whose
// quota (refilled 5 per second per account and region) the whole stage shares.
const POLL_MS = 1000;
const ENDED = new Set(["completed", "failed", "skipped"]);
let watching = null; // the episode id being watched; a newer view stops the older poll
let timer = null;

export function stopWatching() {
  watching = null;
  if (timer) window.clearTimeout(timer);
  timer = null;
}

export function watchEpisode(episodeId, { onError }) {
  stopWatching();
  watching = episodeId;
  clear($("states"));
  clear($("transcript"));
  clear($("episode-links"));
  $("episode-result").hidden = true;
  $("episode-failure").hidden = true;
  $("episode-skipped").hidden = true;
  $("episode-audio").removeAttribute("src");
  $("view-episode").dataset.episodeId = episodeId;
  const tick = async () => {
    if (watching !== episodeId) return;
    const started = performance.now();
    try {
      const { data } = await api("GET", path("episodes", episodeId));
      if (watching !== episodeId) return;
      await render(data);
      // A slow answer (a long history) spaces the polls out, so watching never loads the API
      // more than half the time.
      const delay = Math.max(POLL_MS, 2 * (performance.now() - started));
      if (!ENDED.has(data.status)) timer = window.setTimeout(tick, delay);
    } catch (error) {
      if (watching !== episodeId) return;
      onError(error);
      // An unreachable API is polled again; a refused key or a missing episode is not.
      if (error.status === 0 || error.status >= 500) timer = window.setTimeout(tick, POLL_MS * 4);
    }
  };
  $("retry-episode").onclick = async () => {
    $("retry-episode").disabled = true;
    try {
      await api("POST", `${path("episodes", episodeId)}/retry`);
      watchEpisode(episodeId, { onError });
    } catch (error) {
      onError(error);
    } finally {
      $("retry-episode").disabled = false;
    }
  };
  return tick();
}

function renderStates(states) {
  $("states-unavailable").hidden = states !== null;
  const list = $("states");
  for (const state of states || []) {
    let item = [...list.children].find((li) => li.dataset.state === state.name);
    if (!item) {
      item = el("li", { "data-state": state.name },
        el("span", { class: "state-name" }), " ", el("span", { class: "state-status" }), " ",
        el("time", { class: "state-time" }), el("span", { class: "state-count" }));
      list.append(item);
    }
    item.dataset.status = state.status;
    item.className = `state ${state.status}`;
    item.querySelector(".state-name").textContent = state.name;
    item.querySelector(".state-status").textContent = state.status;
    const time = item.querySelector(".state-time");
    time.setAttribute("datetime", state.entered_at || "");
    const took = state.exited_at && state.entered_at
      ? ` → ${clock(state.exited_at)} (${((new Date(state.exited_at) - new Date(state.entered_at)) / 1000).toFixed(3)} s)` : "";
    time.textContent = `${clock(state.entered_at)}${took}`;
    item.querySelector(".state-count").textContent = state.count > 1 ? ` × ${state.count}` : "";
  }
}

async function render(episode) {
  const view = $("view-episode");
  view.dataset.status = episode.status;
  setText("episode-status", episode.status);
  const windowText = episode.window && episode.window.start ? `${episode.window.start} – ${episode.window.end || "now"}` : "";
  setText("episode-meta", ` · ${episode.language} · ${episode.format} · attempt ${episode.attempt_count}${windowText ? ` · ${windowText}` : ""}`);
  $("episode-podcast").setAttribute("href", `#/podcast/${encodeURIComponent(episode.podcast_id)}`);
  renderStates(episode.states);

  const failed = episode.status === "failed";
  $("episode-failure").hidden = !failed;
  if (failed) {
    setText("failure-state", episode.failed_state || "(before the workflow ran)");
    setText("failure-error", episode.error || "");
    setText("failure-cause", episode.cause || "");
  }
  // Skipped: the window held nothing new (no failure; the cause says what was filtered).
  $("episode-skipped").hidden = episode.status !== "skipped";
  if (episode.status === "skipped") setText("skipped-cause", episode.cause || episode.outcome || "");
  if (episode.status === "completed" && $("episode-result").hidden) await renderResult(episode);
}

async function renderResult(episode) {
  const audioUrl = safeUrl(episode.audio_url);
  if (audioUrl) $("episode-audio").setAttribute("src", audioUrl);
  $("episode-audio").dataset.durationSeconds = episode.duration_seconds ?? "";
  const links = $("episode-links");
  clear(links);
  links.append(`Duration ${minutes(episode.duration_seconds)}`);
  for (const [label, field] of [["Download MP3", "audio_url"], ["Feed", "feed_url"], ["Chapters (JSON)", "chapters_url"]]) {
    const url = safeUrl(episode[field]);
    if (url) links.append(" · ", el("a", { href: url, id: `link-${field}`, rel: "noreferrer", target: "_blank" }, label));
  }
  $("episode-result").hidden = false;
  renderChapters(Array.isArray(episode.chapters) ? episode.chapters : null);
  const transcript = $("transcript");
  transcript.setAttribute("dir", directionOf(episode.language));
  transcript.setAttribute("lang", episode.language || "en");
  try {
    const { data } = await api("GET", `${path("episodes", episode.episode_id)}/transcript`);
    clear(transcript);
    for (const line of data.transcript.split("\n").filter(Boolean)) transcript.append(el("p", { dir: "auto" }, line));
  } catch (error) {
    transcript.replaceChildren(el("p", { class: "hint" }, `The transcript cannot be shown: ${error.message}`));
  }
}

function renderChapters(chapters) {
  $("chapters").hidden = !chapters || !chapters.length;
  clear($("chapter-list"));
  for (const chapter of chapters || []) {
    $("chapter-list").append(el("li", { dir: "auto" }, `${minutes(chapter.startTime)} ${chapter.title ?? ""}`));
  }
}
