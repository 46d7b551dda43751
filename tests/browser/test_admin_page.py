"""The admin page in headless Chromium: sign in, podcasts, the form's errors at their fields,
an episode watched state by state to its audio, a failure and its retry, hostile text kept
inert, keyboard only, right-to-left Hebrew."""
from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.request
from contextlib import contextmanager

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from chalicelib.stores.episodes import Podcast
from podcasto_local.engine import function_name_for
from tests.conftest import API_KEY, export_message, write_export

# The Task states of statemachine.asl.json, in the order a first attempt passes them.
TASKS = ["ValidateEpisode", "CollectContent", "WaitForContent", "MarkContentCollected", "MarkProcessing",
         "WriteScript", "SynthesizeSegment", "StitchAudio", "MarkCompleted"]
HOSTILE_TITLE = '<img src=x onerror="window.__pwned=1;console.error(\'pwned-title\')">'
HOSTILE_TEXT = "<script>window.__pwned=2;console.error('pwned-text')</script> and <img src=x onerror=\"window.__pwned=3\"> in a post"


def app_errors(page) -> list[str]:
    """Console errors other than the HTTP statuses a test provokes on purpose (401, 400)."""
    return [entry["message"] for entry in page.console()
            if entry["level"] == "SEVERE" and "Failed to load resource" not in entry["message"]]


def state_rows(page) -> list[tuple[str, str]]:
    return [tuple(row) for row in page.script(
        "return [...document.querySelectorAll('#states li')].map(li => [li.dataset.state, li.dataset.status])")]


@contextmanager
def gated_tasks(app):
    """Hold each Task's handler until the test releases it: the page can then be seen showing
    each state running, one at a time, deterministically."""
    gates = {name: threading.Event() for name in map(function_name_for, TASKS)}
    originals = {name: app.handler_map[name] for name in gates}

    def gated(name, handler):
        def run(event, context):
            gates[name].wait(timeout=60)  # never hangs a broken test for ever
            return handler(event, context)
        return run

    for name, handler in originals.items():
        app.handler_map[name] = gated(name, handler)
    try:
        yield lambda state: gates[function_name_for(state)].set()
    finally:
        for gate in gates.values():
            gate.set()
        app.handler_map.update(originals)


def create_podcast_via_api(base: str, body: dict) -> dict:
    request = urllib.request.Request(f"{base}/podcasts", method="POST", data=json.dumps(body).encode(),
                                     headers={"X-Api-Key": API_KEY, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def headers_of(url: str, **request_headers) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=request_headers)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# -- served files ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name,content_type", [
    ("", "text/html"), ("/app.js", "text/javascript"), ("/style.css", "text/css"),
    ("/episode_view.js", "text/javascript"), ("/favicon.svg", "image/svg+xml")])
def test_page_files_need_no_key_and_carry_a_strict_policy(page_server, services, name, content_type):
    status, headers, body = headers_of(f"{page_server}/admin{name}")
    assert status == 200 and headers["Content-Type"].startswith(content_type)
    policy = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert "unsafe" not in headers["Content-Security-Policy"]  # no unsafe-inline, no unsafe-eval
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "no-referrer"
    assert API_KEY.encode() not in body and b"innerHTML" not in body and b"eval(" not in body


def test_root_redirects_to_the_page_and_unknown_files_are_404(page_server, services):
    status, headers, _ = headers_of(f"{page_server}/")
    assert status == 302 and headers["Location"] == "admin"  # relative: keeps API Gateway's /<stage>/
    status, _, body = headers_of(f"{page_server}/admin/..%2Fapp.py")
    assert status == 404 and json.loads(body)["error"] == "NotFound"
    assert headers_of(f"{page_server}/podcasts")[0] == 401  # the API itself still needs the key


# -- signing in ------------------------------------------------------------------------------------
def test_a_wrong_key_shows_an_error_and_the_right_one_signs_in(page, podcast_for, small_export):
    podcast_for(small_export)
    page.open()
    page.wait_view("signin")
    page.screenshot("signin")
    page.sign_in("not-the-key")
    error = page.wait_text("#signin-error", "401")
    assert "wrong" in error.text
    assert page.script("return window.sessionStorage.length") == 0  # a refused key is not kept
    page.sign_in()
    page.wait_view("podcasts")
    row = page.wait_visible('tr[data-podcast="test-podcast"]')
    assert "Test Podcast" in row.text
    page.wait_text('tr[data-podcast="test-podcast"] .last-episode', "none yet")
    assert API_KEY not in page.driver.current_url
    assert page.script("return window.sessionStorage.getItem('podcasto.apiKey')") == API_KEY
    page.screenshot("podcasts")
    assert app_errors(page) == []


def test_an_unreachable_api_says_so(page, podcast_for, small_export):
    podcast_for(small_export)
    page.open()
    page.sign_in()
    page.wait_view("podcasts")
    page.driver.execute_cdp_cmd("Network.enable", {})
    page.driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    page.go("#/podcast/test-podcast")
    alert = page.wait_text("#alert", "cannot be reached")
    assert alert.is_displayed()


def test_a_key_refused_later_returns_to_sign_in(page, podcast_for, small_export):
    podcast_for(small_export)
    page.open()
    page.sign_in()
    page.wait_view("podcasts")
    page.script("window.sessionStorage.setItem('podcasto.apiKey', 'revoked')")
    page.go("#/podcast/test-podcast")
    page.wait_view("signin")
    assert "401" in page.wait_visible("#signin-error").text


# -- podcasts --------------------------------------------------------------------------------------
def test_create_a_podcast_errors_shown_at_their_fields_then_edit_it(page, small_export):
    page.open("#/new")
    page.sign_in()
    page.wait_view("form")
    page.find("#f-title").send_keys("Morning Tech")
    page.find("#f-sources").send_keys(json.dumps({"export": str(small_export)}))
    page.find("#f-hosts-0-name").send_keys("Noa")
    page.find("#f-hosts-1-name").send_keys("Noa")
    Select(page.find("#f-schedule-kind")).select_by_value("weekly")
    page.find('input[name="day"][value="mon"]').click()
    page.find("#f-schedule-at").send_keys("25:00")
    page.find("#f-schedule-timezone").clear()
    page.find("#f-schedule-timezone").send_keys("Asia/Jerusalem")
    page.find("#save-podcast").click()

    # Both fields are wrong; the API names the first it checks, and the page shows it there.
    shown = page.wait(lambda d: [e for e in page.find_all(".error") if e.is_displayed()])
    assert [e.get_attribute("id") for e in shown] == ["error-schedule-at"]
    assert shown[0].text.startswith("schedule.at")
    assert page.find("#f-schedule-at").get_attribute("aria-invalid") == "true"
    assert page.active_id() == "f-schedule-at"
    page.screenshot("podcast-form-error")
    page.find("#f-schedule-at").clear()
    page.find("#f-schedule-at").send_keys("07:00")
    page.find("#save-podcast").click()
    name = page.wait_text("#error-hosts-1-name", "hosts[1].name")
    assert name.is_displayed() and not page.find("#error-schedule-at").is_displayed()
    assert page.active_id() == "f-hosts-1-name"
    page.find("#f-hosts-1-name").clear()
    page.find("#f-hosts-1-name").send_keys("Eli")
    page.find("#save-podcast").click()
    page.wait_view("podcast")
    page.wait_text("#podcast-title", "Morning Tech")
    details = page.wait_text("#podcast-details", "every Monday at 07:00 (Asia/Jerusalem)")
    assert "Noa (" not in details.text and "Noa, Eli" in details.text
    page.screenshot("podcast")

    # Edit: only what changed is sent, with If-Match from the ETag.
    page.find("#edit-podcast").click()
    page.wait_view("form")
    page.wait(lambda d: page.find("#f-title").get_attribute("value") == "Morning Tech")
    page.find("#f-title").clear()
    page.find("#f-title").send_keys("Evening Tech")
    page.find("#f-target_minutes").send_keys("12")
    page.find("#save-podcast").click()
    page.wait_view("podcast")
    page.wait_text("#podcast-title", "Evening Tech")
    assert "12 min" in page.wait_text("#podcast-details", "12 min").text
    page.go("#/podcasts")
    row = page.wait_visible('tr[data-podcast="morning-tech"]')
    assert "Evening Tech" in row.text and "Monday" in row.find_element("css selector", ".schedule-text").text
    assert row.find_element("css selector", ".next-run time").get_attribute("datetime").endswith("Z")
    assert app_errors(page) == []


# -- episodes --------------------------------------------------------------------------------------
def test_an_episode_is_watched_state_by_state_then_played_and_read(page, services, engine, podcast_for, small_export):
    from app import app

    podcast_for(small_export)
    page.open("#/podcast/test-podcast")
    page.sign_in()
    page.wait_view("podcast")
    with gated_tasks(app) as release:
        Select(page.find("#start-format")).select_by_value("narrator")
        page.find("#start-episode").click()
        page.wait_view("episode")
        seen = []
        for state in TASKS:
            page.wait_visible(f'#states li[data-state="{state}"][data-status="running"]')
            rows = state_rows(page)
            names = [name for name, _ in rows]
            assert names[-1] == state
            assert names[:len(seen)] == seen  # states are added, never reordered
            assert all(status == "succeeded" for name, status in rows if name not in (state, "SynthesizeSegments"))
            assert len(names) > len(seen)
            seen = names
            if state == "StitchAudio":
                page.screenshot("episode-watching")
            release(state)
    page.wait_text("#episode-status", "completed")
    page.wait_visible("#episode-result")
    rows = state_rows(page)
    assert [name for name, _ in rows][-1] == "EpisodeCompleted"
    assert all(status == "succeeded" for _, status in rows)
    assert all(page.find(f'#states li[data-state="{name}"] time').text for name, _ in rows)

    episode_id = page.find("#view-episode").get_attribute("data-episode-id")
    stored = services.episodes.get_episode(episode_id)
    # The audio element plays what the API stored: its duration is the episode's, within one
    # MP3 frame (1152 samples at 22.05 kHz is 52 ms).
    page.wait(lambda d: page.script("return document.getElementById('episode-audio').readyState") >= 1)
    duration = page.script("return document.getElementById('episode-audio').duration")
    assert abs(duration - stored.duration_seconds) <= 1152 / 22050, (duration, stored.duration_seconds)
    transcript = page.wait_visible("#transcript p")
    assert ":" in transcript.text
    assert page.find("#link-audio_url").get_attribute("href").startswith("http://127.0.0.1:")
    # Feeds and chapters come with the publish step: no link until the API gives their URLs.
    assert page.find_all("#link-feed_url") == [] and page.find_all("#link-chapters_url") == []
    page.screenshot("episode-completed")

    page.go("#/podcast/test-podcast")
    row = page.wait_visible(f'tr[data-episode="{episode_id}"]')
    assert row.get_attribute("data-status") == "completed"
    assert app_errors(page) == []


def test_a_failed_episode_shows_its_reason_and_retry_completes_it(page, services, engine, podcast_for, small_export, tmp_path):
    podcast_for(small_export)
    hidden = tmp_path / "moved-away.json"
    shutil.move(small_export, hidden)  # the export is gone: CollectContent fails
    page.open("#/podcast/test-podcast")
    page.sign_in()
    page.wait_view("podcast")
    page.find("#start-episode").click()
    page.wait_text("#episode-status", "failed")
    failure = page.wait_visible("#episode-failure")
    assert page.find("#failure-state").text == "CollectContent"
    assert page.find("#failure-error").text == "SourceFailed"
    assert "export not found" in page.find("#failure-cause").text
    assert ("CollectContent", "failed") in state_rows(page)
    assert state_rows(page)[-1] == ("EpisodeFailed", "failed")
    page.screenshot("episode-failed")

    shutil.move(hidden, small_export)
    failure.find_element("css selector", "#retry-episode").click()
    page.wait_text("#episode-status", "completed")
    page.wait(lambda d: not page.find("#episode-failure").is_displayed())
    assert "attempt 2" in page.find("#episode-meta").text
    assert ("CollectContent", "succeeded") in state_rows(page)
    page.wait_visible("#episode-result")
    assert app_errors(page) == []


def test_hostile_titles_and_messages_stay_inert_text(page, services, engine, podcast_for, tmp_path):
    export = write_export(tmp_path / "hostile", [
        export_message(1, HOSTILE_TEXT, unixtime=1763632800),
        export_message(2, "Release 2.0 is out with faster builds and " + HOSTILE_TITLE, unixtime=1763636400),
    ], name=HOSTILE_TITLE)
    services.episodes.put_podcast(Podcast(
        id="hostile", title=HOSTILE_TITLE, language="en", format="narrator", hosts=[{"name": HOSTILE_TITLE[:60]}],
        sources=[{"export": str(export), "chat": None}], days_back=None, description=HOSTILE_TEXT))
    page.open()
    page.sign_in()
    link = page.wait_visible('tr[data-podcast="hostile"] .podcast-link')
    assert link.text == HOSTILE_TITLE
    link.click()
    page.wait_view("podcast")
    assert page.wait_visible("#podcast-title").text == HOSTILE_TITLE
    assert HOSTILE_TEXT in page.find("#podcast-details").text
    page.find("#start-episode").click()
    page.wait_text("#episode-status", "completed")
    page.wait_visible("#transcript p")
    text = page.find("#transcript").text
    assert "<script>" in text or "<img" in text, text  # Telegram's text arrives as text
    page.go("#/podcast/hostile/edit")
    page.wait(lambda d: page.find("#f-title").get_attribute("value") == HOSTILE_TITLE)
    page.screenshot("hostile")

    assert page.script("return window.__pwned") is None
    assert page.script("return document.querySelectorAll('img').length") == 0
    assert page.script("return document.querySelectorAll('script').length") == 1  # app.js only
    assert not [m for m in (e["message"] for e in page.console()) if "pwned" in m or "Content Security Policy" in m]


def test_the_main_flow_by_keyboard_alone(page, services, engine, tmp_path):
    # Posts of yesterday: a new podcast's episode reaches back days_back (7) days by default.
    yesterday = int(time.time()) - 86400
    export = write_export(tmp_path / "recent", [
        export_message(1, "Release 2.0 is out with faster builds.", unixtime=yesterday),
        export_message(2, "Thanks to 12 contributors this week.", unixtime=yesterday + 60)])

    def tab_to(element_id: str, limit: int = 80) -> None:
        for _ in range(limit):
            if page.active_id() == element_id:
                return
            ActionChains(page.driver).send_keys(Keys.TAB).perform()
        raise AssertionError(f"#{element_id} is not reachable with Tab (stopped at #{page.active_id()})")

    def type_keys(*keys) -> None:
        ActionChains(page.driver).send_keys(*keys).perform()

    page.open()
    page.wait(lambda d: page.active_id() == "api-key")  # the key field has the focus
    type_keys(API_KEY, Keys.ENTER)
    page.wait_view("podcasts")
    tab_to("new-podcast")
    type_keys(Keys.ENTER)
    page.wait_view("form")
    tab_to("f-title")
    type_keys("Keyboard News")
    tab_to("f-sources")
    type_keys(json.dumps({"export": str(export)}))
    tab_to("f-format")
    type_keys("n")  # Narrator
    tab_to("save-podcast")
    type_keys(Keys.ENTER)
    page.wait_view("podcast")
    page.wait_text("#podcast-title", "Keyboard News")
    tab_to("start-episode")
    type_keys(Keys.ENTER)
    page.wait_view("episode")
    page.wait(lambda d: page.find("#episode-status").text in ("completed", "failed"))
    assert page.find("#episode-status").text == "completed", page.find("#failure-cause").text
    page.wait_visible("#episode-result")
    tab_to("episode-audio")
    assert page.find("#states li").is_displayed()
    assert app_errors(page) == []


def test_a_hebrew_podcast_reads_right_to_left(page, services, small_export):
    services.episodes.put_podcast(Podcast(
        id="hadashot", title="חדשות טכנולוגיה", language="he", format="dialogue", hosts=[],
        sources=[{"export": str(small_export), "chat": None}], days_back=None, description="סיכום שבועי של הערוץ"))
    page.open("#/podcast/hadashot")
    page.sign_in()
    title = page.wait_text("#podcast-title", "חדשות")
    direction = "return getComputedStyle(arguments[0]).direction"
    assert page.script(direction, title) == "rtl"
    assert page.script(direction, page.find("#podcast-details")) == "rtl"
    page.wait_visible("#episodes-empty")
    assert not page.find("#more-episodes").is_displayed()  # hidden stays hidden, whatever the CSS
    page.screenshot("podcast-hebrew")


def test_every_form_control_has_a_label(page):
    page.open()
    unlabelled = page.script("""
        return [...document.querySelectorAll('input, select, textarea')]
          .filter(c => !(c.labels && c.labels.length) && !c.getAttribute('aria-label'))
          .map(c => c.id || c.name);""")
    assert unlabelled == []


def test_the_episode_list_pages_through_next_cursor(page, services, podcast_for, small_export):
    from chalicelib.domain import Window

    podcast_for(small_export)
    for n in range(23):  # one page is 20
        services.episodes.create_episode(podcast_id="test-podcast", language="en", format="dialogue",
                                         window=Window(None, None), idempotency_key=f"page-{n}")
    page.open("#/podcast/test-podcast")
    page.sign_in()
    page.wait(lambda d: len(page.find_all("#episode-rows tr")) == 20)
    more = page.wait_visible("#more-episodes")
    more.click()
    page.wait(lambda d: len(page.find_all("#episode-rows tr")) == 23)
    assert not page.find("#more-episodes").is_displayed()
    ids = [row.get_attribute("data-episode") for row in page.find_all("#episode-rows tr")]
    assert len(set(ids)) == 23


def test_an_episode_with_nothing_new_shows_it_was_skipped(page, services, engine, podcast_for, small_export):
    podcast_for(small_export)
    page.open("#/podcast/test-podcast")
    page.sign_in()
    page.wait_view("podcast")
    page.find("#start-episode").click()
    page.wait_text("#episode-status", "completed")
    # The same window again: every message was told already.
    episode = services.episodes.get_episode(page.find("#view-episode").get_attribute("data-episode-id"))
    started = services.admin.start_episode("test-podcast", {
        "start_date": "2025-11-01", "end_date": "2025-12-31"})[1]
    assert episode.id != started["episode_id"]
    page.go(f"#/episode/{started['episode_id']}")
    page.wait_text("#episode-status", "skipped")
    assert page.wait_visible("#episode-skipped").is_displayed()
    assert not page.find("#episode-failure").is_displayed() and not page.find("#episode-result").is_displayed()
