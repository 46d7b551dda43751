"""chalicelib.log: one JSON object per line, carrying the running task's ids — per thread, since
the local engine runs a Map's iterations as concurrent threads in one process."""
from __future__ import annotations

import threading

import pytest

from chalicelib import log


def event(episode_id: str) -> dict:
    return {"episode": {"episode_id": episode_id},
            "execution_id": f"arn:aws:states:us-east-1:123456789012:execution:podcasto:{episode_id}"}


def test_each_line_is_json_with_the_tasks_name_episode_and_execution_ids(log_lines):
    @log.task("mark_processing")
    def handler(event, context):
        log.logger().info("moving on")
        return {}

    handler(event("e-1"), None)
    log.logger().info("between tasks")

    *inside, after = log_lines()
    assert [line["message"] for line in inside] == ["task started", "moving on", "task finished"]
    for line in inside:
        assert line["task"] == "mark_processing" and line["episode_id"] == "e-1"
        assert line["execution_id"].endswith(":execution:podcasto:e-1")
        assert line["level"] == "INFO" and line["service"] == "podcasto" and line["timestamp"]
    assert "task" not in after and "episode_id" not in after  # a task's ids end with the task


def test_a_failed_task_logs_the_error_class_and_message_with_its_ids(log_lines):
    @log.task("write_script")
    def handler(event, context):
        raise ValueError("turn 3 has no text")

    with pytest.raises(ValueError):
        handler(event("e-2"), None)

    (started, failed) = log_lines()
    assert (failed["level"], failed["error"], failed["reason"]) == ("WARNING", "ValueError", "turn 3 has no text")
    assert failed["episode_id"] == "e-2" and failed["task"] == "write_script"


def test_concurrent_tasks_in_threads_keep_their_own_ids(log_lines):
    both_inside = threading.Barrier(2, timeout=10)

    @log.task("synthesize_segment")
    def handler(event, context):
        both_inside.wait()  # each thread has started its task before either logs again
        log.logger().info("segment done")
        both_inside.wait()  # neither ends (and clears its ids) before both have logged
        return {}

    threads = [threading.Thread(target=handler, args=(event(f"e-{n}"), None)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    done = [line for line in log_lines() if line["message"] == "segment done"]
    assert sorted(line["episode_id"] for line in done) == ["e-1", "e-2"]
    for line in log_lines():
        assert line["execution_id"].endswith(f":{line['episode_id']}")  # never the other's
