"""podcasto's Chalice app: wiring only. Each handler is one call into chalicelib.

Task handlers are named after the Task states of statemachine.asl.json that invoke them.
Every function deployed from this file imports it, so step modules are imported inside the
handler that uses them: the API and the status tasks never load audio or Telethon code.
"""
from chalice import Chalice, Rate

from chalicelib import admin_page, http, log, redact
from chalicelib.factory import services

# Logs are JSON lines (chalicelib/log.py); Chalice's own log handler would print
# each line a second time in plain text under the same logger name.
app = Chalice(app_name="podcasto", configure_logs=False)


@app.middleware("all")
def _no_secret_leaves(event, get_response):
    # Every function, those added later too: what it raises is what Lambda reports and logs.
    return redact.reraised(get_response, event)


@app.lambda_function(name="validate_episode")
@log.task("validate_episode")
def validate_episode(event, context):
    from chalicelib.steps import validate

    svc = services()
    return validate.validate_episode(
        event, episodes=svc.episodes, objects=svc.objects, check_speech=svc.check_speech
    )


@app.lambda_function(name="collect_content")
@log.task("collect_content")
def collect_content(event, context):
    from chalicelib.steps import collect

    svc = services()
    # The window and the podcast come with the episode reference; the store is asked only what
    # completed episodes covered, and told what this bundle kept.
    return collect.collect_content(
        event, episodes=lambda: svc.episodes, objects=svc.objects, source_for=svc.source_for,
        bundle_limits=svc.bundle_limits, upload_photos=svc.settings.flag("UPLOAD_PHOTOS"),
    )


@app.lambda_function(name="wait_for_content")
@log.task("wait_for_content")
def wait_for_content(event, context):
    from chalicelib.steps import collect

    return collect.wait_for_content(event, objects=services().objects)


@app.lambda_function(name="mark_content_collected")
@log.task("mark_content_collected")
def mark_content_collected(event, context):
    from chalicelib.steps import status

    return status.mark_content_collected(event, episodes=services().episodes)


@app.lambda_function(name="mark_processing")
@log.task("mark_processing")
def mark_processing(event, context):
    from chalicelib.steps import status

    return status.mark_processing(event, episodes=services().episodes)


@app.lambda_function(name="write_script")
@log.task("write_script")
def write_script(event, context):
    from chalicelib.steps import script

    svc = services()
    return script.write_script(
        event, episodes=svc.episodes, objects=svc.objects, writer=svc.writer, speech_plan=svc.speech_plan,
        concurrency=svc.settings.integer("SEGMENT_CONCURRENCY", minimum=1),
        target_seconds=svc.settings.optional_float("TARGET_SECONDS"),
    )


@app.lambda_function(name="synthesize_segment")
@log.task("synthesize_segment")
def synthesize_segment(event, context):
    from chalicelib.steps import speech

    svc = services()
    # WriteScript chose the provider; the Map hands it and the language to every segment, so
    # a segment needs no episode-store read.
    return speech.synthesize_segment(
        event, objects=svc.objects, speech=svc.speech_for(event["language"], provider=event["provider"]),
        provider=event["provider"],
    )


@app.lambda_function(name="stitch_audio")
@log.task("stitch_audio")
def stitch_audio(event, context):
    from chalicelib.steps import stitch

    svc = services()
    return stitch.stitch_audio(
        event, objects=svc.objects, bitrate_kbps=svc.settings.integer("MP3_BITRATE_KBPS", minimum=8)
    )


@app.lambda_function(name="mark_completed")
@log.task("mark_completed")
def mark_completed(event, context):
    from chalicelib.steps import status

    return status.mark_completed(event, episodes=services().episodes)


@app.lambda_function(name="publish_feed")
@log.task("publish_feed")
def publish_feed(event, context):
    from chalicelib.steps import publish

    svc = services()
    return publish.publish_feed(event, episodes=svc.episodes, objects=svc.objects,
                                public_base_url=svc.public_base_url)


@app.lambda_function(name="mark_skipped")
@log.task("mark_skipped")
def mark_skipped(event, context):
    from chalicelib.steps import status

    return status.mark_skipped(event, episodes=services().episodes)


@app.lambda_function(name="mark_failed")
@log.task("mark_failed")
def mark_failed(event, context):
    from chalicelib.steps import status

    return status.mark_failed(event, episodes=services().episodes)


# --- the execution-status event: no stuck episodes -------------------------------------------
# On AWS an EventBridge rule (narrowed to this state machine by the deploy template) delivers
# Step Functions status changes here; locally the engine delivers the same event.
@app.on_cw_event(
    {
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"status": ["FAILED", "TIMED_OUT", "ABORTED"]},
    },
    name="reconcile_execution",
)
def reconcile_execution(event):
    from chalicelib.steps import reconcile

    return reconcile.reconcile_execution(event.detail, episodes=services().episodes)


# --- the sweeper: no episode waits for an execution that is gone --------------------------------
# An event the reconciler failed to handle past its retries, or an execution that never
# started, would leave its episode unfinished for good; locally the engine sweeps on its own
# timer (SWEEP_INTERVAL_SECONDS) and at start.
@app.schedule(Rate(5, unit=Rate.MINUTES), name="sweep_episodes")
def sweep_episodes(event):
    from chalicelib.steps import sweep

    return sweep.sweep_with(services())


# --- the scheduler: episodes on each podcast's own schedule ------------------------------------
# An EventBridge rule on AWS; `make local` runs the same function on its own timer, and
# `python -m podcasto_local.cli tick --now ...` runs one tick at a given moment.
@app.schedule(Rate(5, unit=Rate.MINUTES), name="schedule_episodes")
def schedule_episodes(event):
    from chalicelib.steps import scheduler

    svc = services()
    return scheduler.run_schedule(
        episodes=svc.episodes, start_slot=svc.admin.start_slot, now=svc.clock(),
        batch=svc.settings.integer("SCHEDULER_BATCH", minimum=1),
    )


# --- the admin API -----------------------------------------------------------------------------
@app.middleware("http")
def _edge(request, get_response):
    # Every route, also those added later: the key before the method (405) and media type (415).
    return http.edge(request, get_response, routes=app.routes, api_key=lambda: services().settings.api_key,
                     public=admin_page.ROUTES)


def _handle(action):
    svc = services()
    return http.handle(app.current_request, api_key=lambda: svc.settings.api_key, action=lambda: action(svc.admin))


def _query(name: str):
    return (app.current_request.query_params or {}).get(name)


@app.route("/podcasts", methods=["GET"])
def list_podcasts():
    return _handle(lambda admin: admin.list_podcasts(include_archived=_query("include_archived")))


@app.route("/podcasts", methods=["POST"])
def create_podcast():
    return _handle(lambda admin: admin.create_podcast(http.json_body(app.current_request)))


@app.route("/podcasts/{podcast_id}", methods=["GET"])
def get_podcast(podcast_id):
    return _handle(lambda admin: admin.podcast(podcast_id))


@app.route("/podcasts/{podcast_id}", methods=["PATCH"])
def update_podcast(podcast_id):
    request = app.current_request
    return _handle(lambda admin: admin.update_podcast(
        podcast_id, http.json_body(request), if_match=request.headers.get("if-match")))


@app.route("/podcasts/{podcast_id}", methods=["DELETE"])
def archive_podcast(podcast_id):
    return _handle(lambda admin: admin.archive_podcast(podcast_id))


# Any image type reaches the handler, which names what is wrong with it (400), rather than
# Chalice refusing the type with a bare 415; all of them are binary types, so the body is bytes.
COVER_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp", "application/octet-stream"]
app.api.binary_types.extend(t for t in COVER_TYPES if t not in app.api.binary_types)


@app.route("/podcasts/{podcast_id}/image", methods=["PUT"], content_types=COVER_TYPES)
def upload_cover(podcast_id):
    request = app.current_request
    return _handle(lambda admin: admin.upload_cover(
        podcast_id, request.raw_body, if_match=request.headers.get("if-match")))


@app.route("/podcasts/{podcast_id}/restore", methods=["POST"])
def restore_podcast(podcast_id):
    return _handle(lambda admin: admin.restore_podcast(podcast_id))


@app.route("/podcasts/{podcast_id}/episodes", methods=["GET"])
def list_episodes(podcast_id):
    return _handle(lambda admin: admin.list_episodes(podcast_id, limit=_query("limit"), cursor=_query("cursor")))


@app.route("/podcasts/{podcast_id}/episodes", methods=["POST"])
def start_episode(podcast_id):
    request = app.current_request
    return _handle(
        lambda admin: admin.start_episode(
            podcast_id, http.json_body(request), idempotency_key=request.headers.get("idempotency-key")
        )
    )


@app.route("/episodes/{episode_id}", methods=["GET"])
def get_episode(episode_id):
    return _handle(lambda admin: admin.episode(episode_id))


@app.route("/episodes/{episode_id}/transcript", methods=["GET"])
def get_transcript(episode_id):
    return _handle(lambda admin: admin.transcript(episode_id))


@app.route("/episodes/{episode_id}/retry", methods=["POST"])
def retry_episode(episode_id):
    return _handle(lambda admin: admin.retry_episode(episode_id))


# --- the admin page: static files, no key (they hold no secret; the API calls carry it) --------
@app.route("/", methods=["GET"])
def root():
    return admin_page.redirect_to_page()


@app.route("/admin", methods=["GET"])
def admin_index():
    return admin_page.page("index.html")


@app.route("/admin/{asset}", methods=["GET"])
def admin_asset(asset):
    return admin_page.page(asset)
