"""podcasto's Chalice app: wiring only. Each handler is one call into chalicelib.

Task handlers are named after the Task states of statemachine.asl.json that invoke them.
Every function deployed from this file imports it, so step modules are imported inside the
handler that uses them: the API and the status tasks never load audio or Telethon code.
"""
from chalice import Chalice

from chalicelib.factory import services

app = Chalice(app_name="podcasto")


@app.lambda_function(name="validate_episode")
def validate_episode(event, context):
    from chalicelib.steps import validate

    return validate.validate_episode(event, episodes=services().episodes)


@app.lambda_function(name="collect_content")
def collect_content(event, context):
    from chalicelib.steps import collect

    svc = services()
    return collect.collect_content(
        event, episodes=svc.episodes, objects=svc.objects, source_for=svc.source_for,
        bundle_limits=svc.bundle_limits,
    )


@app.lambda_function(name="wait_for_content")
def wait_for_content(event, context):
    from chalicelib.steps import collect

    return collect.wait_for_content(event, objects=services().objects)


@app.lambda_function(name="mark_content_collected")
def mark_content_collected(event, context):
    from chalicelib.steps import status

    return status.mark_content_collected(event, episodes=services().episodes)


@app.lambda_function(name="mark_processing")
def mark_processing(event, context):
    from chalicelib.steps import status

    return status.mark_processing(event, episodes=services().episodes)


@app.lambda_function(name="generate_audio")
def generate_audio(event, context):
    from chalicelib.steps import audio

    svc = services()
    return audio.generate_audio(
        event, episodes=svc.episodes, objects=svc.objects, writer=svc.writer, speech=svc.speech,
        target_seconds=svc.settings.optional_float("TARGET_SECONDS"),
        bitrate_kbps=svc.settings.integer("MP3_BITRATE_KBPS", minimum=8),
    )


@app.lambda_function(name="mark_completed")
def mark_completed(event, context):
    from chalicelib.steps import status

    return status.mark_completed(event, episodes=services().episodes)


@app.lambda_function(name="mark_failed")
def mark_failed(event, context):
    from chalicelib.steps import status

    return status.mark_failed(event, episodes=services().episodes)
