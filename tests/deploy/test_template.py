"""The packaged template (dist/sam.json): linted by cfn-lint, wired to the ASL file, least privilege."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from podcasto_deploy.template import task_functions

ROOT = Path(__file__).resolve().parents[2]
ASL = json.loads((ROOT / "statemachine.asl.json").read_text())
README = (ROOT / "docs" / "deploy.md").read_text()

# The only actions allowed on "Resource": "*": AWS offers nothing narrower for them (each is
# explained in the README's Deploy section).
STAR_RESOURCE_ACTIONS = {
    "polly:SynthesizeSpeech",
    "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
}

# What each function must be able to read from SSM: exactly this, no more.
SECRETS_NEEDED = {
    "APIHandler": {"SUPABASE_KEY", "PODCASTO_API_KEY"},
    "ValidateEpisode": {"SUPABASE_KEY", "GEMINI_API_KEY"},
    "CollectContent": {"SUPABASE_KEY", "TELEGRAM_API_HASH", "TELEGRAM_SESSION"},
    "WaitForContent": set(),
    "MarkContentCollected": {"SUPABASE_KEY"},
    "MarkProcessing": {"SUPABASE_KEY"},
    "WriteScript": {"SUPABASE_KEY", "GEMINI_API_KEY"},
    "SynthesizeSegment": {"GEMINI_API_KEY"},  # the Map hands it the provider: no store read
    "StitchAudio": set(),
    "MarkCompleted": {"SUPABASE_KEY"},
    "PublishFeed": {"SUPABASE_KEY"},
    "MarkSkipped": {"SUPABASE_KEY"},
    "MarkFailed": {"SUPABASE_KEY"},
    "ReconcileExecution": {"SUPABASE_KEY"},
    "ScheduleEpisodes": {"SUPABASE_KEY"},
    "SweepEpisodes": {"SUPABASE_KEY"},
}


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _role_of_function(packaged, function: str) -> str:
    return packaged.template["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]


def statements_by_role(packaged) -> dict[str, list[dict]]:
    """Every Allow statement, inline in a role or attached by an AWS::IAM::Policy, per role."""
    found: dict[str, list[dict]] = {}
    for name, role in packaged.resources("AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            found.setdefault(name, []).extend(policy["PolicyDocument"]["Statement"])
    for policy in packaged.resources("AWS::IAM::Policy").values():
        for role in policy["Properties"]["Roles"]:
            found.setdefault(role["Ref"], []).extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def resource_text(resource) -> str:
    """A statement resource as text: Fn::Sub templates as written, Ref/GetAtt as ${Name}."""
    if isinstance(resource, str):
        return resource
    if "Fn::Sub" in resource:
        return resource["Fn::Sub"]
    if "Ref" in resource:
        return "${%s}" % resource["Ref"]
    if "Fn::GetAtt" in resource:
        return "${%s.%s}" % tuple(resource["Fn::GetAtt"])
    raise AssertionError(f"unexpected resource form {resource}")


def test_cfn_lint_finds_nothing_including_informational_checks(packaged, tmp_path):
    template = tmp_path / "sam.json"
    template.write_text(json.dumps(packaged.template))
    result = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--include-checks", "I", "--", str(template)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def test_cfn_lint_would_catch_a_broken_template(packaged, tmp_path):
    """The lint test above can fail: a property the bucket does not have is reported."""
    broken = json.loads(json.dumps(packaged.template))
    broken["Resources"]["ContentBucket"]["Properties"]["PublicRead"] = True
    template = tmp_path / "broken.json"
    template.write_text(json.dumps(broken))
    result = subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), "--", str(template)],
                            capture_output=True, text=True)
    assert result.returncode != 0 and "PublicRead" in result.stdout


def test_the_state_machine_is_the_asl_file_inlined_as_a_definition_object(packaged):
    machine = packaged.template["Resources"]["StateMachine"]["Properties"]
    assert machine["Definition"] == ASL
    assert "DefinitionString" not in machine


def test_every_placeholder_has_a_substitution_naming_a_packaged_function(packaged):
    placeholders = set(re.findall(r"\$\{([A-Za-z0-9]+)\}", json.dumps(ASL)))
    substitutions = packaged.template["Resources"]["StateMachine"]["Properties"]["DefinitionSubstitutions"]
    assert set(substitutions) == placeholders
    functions = packaged.resources("AWS::Serverless::Function")
    for placeholder, value in substitutions.items():
        target, attribute = value["Fn::GetAtt"]
        assert target in functions and attribute == "Arn", placeholder
        assert placeholder == f"{target}Arn"


def test_the_state_machine_may_invoke_exactly_its_task_functions(packaged):
    invoke = [s for s in statements_by_role(packaged)["StateMachineRole"] if s["Action"] == "lambda:InvokeFunction"]
    assert len(invoke) == 1
    assert sorted(r["Fn::GetAtt"][0] for r in invoke[0]["Resource"]) == sorted(task_functions(ASL))
    assert all(r["Fn::GetAtt"][1] == "Arn" for r in invoke[0]["Resource"])


def test_the_state_machine_logs_to_its_own_log_group(packaged):
    machine = packaged.template["Resources"]["StateMachine"]["Properties"]
    destination = machine["LoggingConfiguration"]["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]
    assert destination == {"Fn::GetAtt": ["StateMachineLogGroup", "Arn"]}
    assert packaged.template["Resources"]["StateMachineLogGroup"]["Properties"]["RetentionInDays"] > 0


def test_no_action_is_a_wildcard(packaged):
    for role, statements in statements_by_role(packaged).items():
        for statement in statements:
            for action in _listed(statement["Action"]):
                assert "*" not in action, f"{role} allows {action}"
            assert "NotAction" not in statement and "NotResource" not in statement, role


def test_star_resources_only_where_aws_offers_nothing_narrower_and_each_is_documented(packaged):
    for role, statements in statements_by_role(packaged).items():
        for statement in statements:
            if "*" in _listed(statement["Resource"]):
                assert _listed(statement["Resource"]) == ["*"], role
                unexpected = set(_listed(statement["Action"])) - STAR_RESOURCE_ACTIONS
                assert not unexpected, f"{role}: {unexpected} on Resource *"
    for action in STAR_RESOURCE_ACTIONS:
        assert f"`{action}`" in README, f"docs/deploy.md does not explain {action} on *"


def test_s3_access_stays_inside_the_content_bucket_under_the_episode_prefix(packaged):
    for role, statements in statements_by_role(packaged).items():
        for statement in statements:
            actions = _listed(statement["Action"])
            if not any(a.startswith("s3:") for a in actions):
                continue
            for resource in map(resource_text, _listed(statement["Resource"])):
                if actions == ["s3:ListBucket"]:
                    assert resource == "arn:${AWS::Partition}:s3:::${ContentBucket}", role
                    assert statement["Condition"] == {"StringLike": {"s3:prefix": "podcasts/*"}}, role
                else:
                    assert resource.startswith("arn:${AWS::Partition}:s3:::${ContentBucket}/podcasts/"), (role, resource)


def test_only_the_api_and_the_scheduler_may_start_executions_and_only_of_this_state_machine(packaged):
    starters = {
        role: [s for s in statements if "states:StartExecution" in _listed(s["Action"])]
        for role, statements in statements_by_role(packaged).items()
    }
    starters = {role: found for role, found in starters.items() if found}
    assert sorted(starters) == ["ApiHandlerRole", "ScheduleEpisodesRole"]
    for role in starters:
        assert [resource_text(r) for r in _listed(starters[role][0]["Resource"])] == ["${StateMachine}"]


def test_only_the_api_reads_execution_histories_and_only_of_this_state_machine(packaged):
    """The admin page shows an episode's states from get_execution_history."""
    readers = {
        role: [s for s in statements if "states:GetExecutionHistory" in _listed(s["Action"])]
        for role, statements in statements_by_role(packaged).items()
    }
    readers = {role: found for role, found in readers.items() if found}
    assert sorted(readers) == ["ApiHandlerRole"]
    (statement,) = readers["ApiHandlerRole"]
    assert _listed(statement["Action"]) == ["states:GetExecutionHistory"]
    assert [resource_text(r) for r in _listed(statement["Resource"])] == [
        "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${StateMachine.Name}:*"]


def test_the_scheduler_knows_the_state_machine_and_runs_every_five_minutes(packaged):
    function = packaged.template["Resources"]["ScheduleEpisodes"]["Properties"]
    assert function["Environment"]["Variables"]["STATE_MACHINE_ARN"] == {"Ref": "StateMachine"}
    (event,) = function["Events"].values()
    assert event["Type"] == "Schedule" and event["Properties"]["Schedule"] == "rate(5 minutes)"


def test_only_the_sweeper_may_describe_executions_and_only_this_state_machines(packaged):
    describers = {
        role: [s for s in statements if "states:DescribeExecution" in _listed(s["Action"])]
        for role, statements in statements_by_role(packaged).items()
    }
    describers = {role: found for role, found in describers.items() if found}
    assert list(describers) == ["SweepEpisodesRole"]
    [statement] = describers["SweepEpisodesRole"]
    assert _listed(statement["Action"]) == ["states:DescribeExecution"]
    assert [resource_text(r) for r in _listed(statement["Resource"])] == [
        "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${StateMachine.Name}:*"]


def test_the_sweeper_runs_on_a_schedule_and_is_told_the_state_machine(packaged):
    sweeper = packaged.template["Resources"]["SweepEpisodes"]["Properties"]
    [event] = sweeper["Events"].values()
    assert event["Type"] == "Schedule" and event["Properties"]["Schedule"] == "rate(5 minutes)"
    assert sweeper["Environment"]["Variables"]["STATE_MACHINE_ARN"] == {"Ref": "StateMachine"}
    assert sweeper["Handler"] == "app.sweep_episodes"


def test_each_function_reads_exactly_the_secrets_it_needs_by_their_arns(packaged, chalice_config):
    functions = packaged.resources("AWS::Serverless::Function")
    assert set(functions) == set(SECRETS_NEEDED)
    prefix = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/podcasto/${Stage}/"
    environment = chalice_config["stages"]["dev"]["environment_variables"]
    for function in functions:
        granted = set()
        for statement in statements_by_role(packaged)[_role_of_function(packaged, function)]:
            if "ssm:GetParameter" in _listed(statement["Action"]):
                for resource in map(resource_text, _listed(statement["Resource"])):
                    assert resource.startswith(prefix) and "*" not in resource, (function, resource)
                    granted.add(resource[len(prefix):])
            assert not any(a.startswith("secretsmanager:") for a in _listed(statement["Action"])), function
        assert granted == SECRETS_NEEDED[function], function
        for name in granted:  # the function is told where to find what it may read
            assert environment[f"{name}_PARAMETER"] == f"/podcasto/dev/{name}"


def test_each_function_writes_logs_only_to_its_own_log_group(packaged):
    for function, resource in packaged.resources("AWS::Serverless::Function").items():
        group = resource["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert group == f"{function}LogGroup"
        writes = [s for s in statements_by_role(packaged)[_role_of_function(packaged, function)]
                  if any(a.startswith("logs:") for a in _listed(s["Action"]))]
        assert [resource_text(r) for s in writes for r in _listed(s["Resource"])] == [f"${{{group}.Arn}}"]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_stage_environments_hold_references_never_secret_values(chalice_config, stage):
    from chalicelib.config import SETTINGS

    secrets = {name for name, (_, text) in SETTINGS.items() if "Secret:" in text}
    assert secrets >= {"SUPABASE_KEY", "PODCASTO_API_KEY", "TELEGRAM_SESSION", "TELEGRAM_API_HASH", "GEMINI_API_KEY"}
    stage_config = chalice_config["stages"][stage]
    assert stage_config["autogen_policy"] is False
    environment = stage_config["environment_variables"]
    assert not secrets & set(environment), "a secret's value belongs in SSM, not in config.json"
    for name, function in chalice_config.get("lambda_functions", {}).items():
        assert not secrets & set(function.get("environment_variables", {})), name
    assert environment["EPISODE_STORE"] == "supabase"


def test_every_function_has_its_own_memory_and_a_timeout_inside_its_task_state(packaged, chalice_config):
    task_timeouts = {}

    def walk(states):
        for state in states.values():
            match = re.fullmatch(r"\$\{([A-Za-z0-9]+)Arn\}", str(state.get("Resource", "")))
            if match:
                task_timeouts[match[1]] = state["TimeoutSeconds"]
            if "ItemProcessor" in state:
                walk(state["ItemProcessor"]["States"])

    walk(ASL["States"])
    functions = packaged.resources("AWS::Serverless::Function")
    for function, resource in functions.items():
        properties = resource["Properties"]
        if function in task_timeouts:
            # A Lambda that outlives its Task state would be retried while still running.
            assert properties["Timeout"] < task_timeouts[function], function
    assert functions["APIHandler"]["Properties"]["Timeout"] < 29  # API Gateway's integration limit
    assert functions["StitchAudio"]["Properties"]["MemorySize"] > functions["MarkProcessing"]["Properties"]["MemorySize"]
    # Stitching holds the episode's segments on /tmp between its passes: more than the default 512 MB.
    assert functions["StitchAudio"]["Properties"]["EphemeralStorage"]["Size"] >= 1024
    assert set(chalice_config["lambda_functions"]) == {
        "api_handler" if f == "APIHandler" else re.sub(r"(?<!^)(?=[A-Z])", "_", f).lower() for f in functions
    }


def test_the_bucket_is_private_encrypted_kept_and_has_lifecycle_rules(packaged):
    bucket = packaged.template["Resources"]["ContentBucket"]
    properties = bucket["Properties"]
    assert all(properties["PublicAccessBlockConfiguration"].values())
    assert len(properties["PublicAccessBlockConfiguration"]) == 4
    rule = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    rules = {r["Id"]: r for r in properties["LifecycleConfiguration"]["Rules"]}
    assert rules["TierEpisodeContent"]["Prefix"] == "podcasts/"
    assert "AbortIncompleteMultipartUpload" in rules["AbortIncompleteUploads"]
    assert bucket["DeletionPolicy"] == "Retain"


def test_functions_are_told_the_bucket_the_supabase_url_and_the_state_machine(packaged):
    variables = packaged.template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["CONTENT_BUCKET"] == {"Ref": "ContentBucket"}
    assert variables["SUPABASE_URL"] == {"Ref": "SupabaseUrl"}
    api = packaged.template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert api["STATE_MACHINE_ARN"] == {"Ref": "StateMachine"}
    assert api["PODCASTO_STAGE"] == "dev"


def test_the_reconciler_hears_only_this_state_machine_ending_badly(packaged):
    pattern = packaged.template["Resources"]["ReconcileExecution"]["Properties"]["Events"][
        "ReconcileExecutionEvent"]["Properties"]["Pattern"]
    assert pattern["source"] == ["aws.states"]
    assert set(pattern["detail"]["status"]) == {"FAILED", "TIMED_OUT", "ABORTED"}
    assert pattern["detail"]["stateMachineArn"] == [{"Ref": "StateMachine"}]


def test_the_runtime_is_the_packaging_interpreter_the_bytecode_was_made_for(packaged):
    runtimes = {r["Properties"]["Runtime"] for r in packaged.resources("AWS::Serverless::Function").values()}
    assert runtimes == {f"python{sys.version_info.major}.{sys.version_info.minor}"}


def test_the_merge_template_only_adds_to_what_chalice_made(packaged):
    """Chalice merges dicts deeply but replaces lists: the merge template never redefines a
    function Chalice made, so its handler, runtime, code and role stay Chalice's."""
    functions = packaged.resources("AWS::Serverless::Function")
    for name, resource in packaged.merge_template["Resources"].items():
        if name in functions:
            assert "Type" not in resource, name
            assert not {"Handler", "Runtime", "CodeUri", "Role"} & set(resource.get("Properties", {})), name
    assert functions["CollectContent"]["Properties"]["Handler"] == "app.collect_content"
    assert functions["APIHandler"]["Properties"]["Handler"] == "app.app"


def test_a_task_state_naming_a_function_the_app_lacks_is_refused():
    from podcasto_deploy.package import app_functions
    from podcasto_deploy.template import merge_template

    asl = json.loads(json.dumps(ASL))
    asl["States"]["WaitForContent"]["Resource"] = "${WaitForContentTwiceArn}"
    with pytest.raises(ValueError, match="WaitForContentTwice"):
        merge_template(asl, stage="dev", functions=app_functions())


def _s3_wildcard(pattern: str) -> re.Pattern:
    """An S3 resource pattern as IAM matches it: ``*`` any characters, "/" included."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z")


EPISODE = "podcasts/demo/0b5e2f8c-3d0e-4f7a-9a51-2c9e1d7f4a10"
PUBLISHED = ["podcasts/demo/feed.xml", "podcasts/demo/cover.jpg", "podcasts/demo/cover.png",
             "podcasts/demo/art/card-0123456789ab.jpg", f"{EPISODE}/audio/podcast.mp3",
             f"{EPISODE}/audio/captions.vtt", f"{EPISODE}/audio/transcript.json", f"{EPISODE}/audio/chapters.json"]
PRIVATE = [f"{EPISODE}/content.json", f"{EPISODE}/script.json", f"{EPISODE}/segments/ab12cd.wav",
           f"{EPISODE}/audio/transcript.txt", f"{EPISODE}/media/cover-12.jpg", f"{EPISODE}/media/art-7.jpg",
           f"{EPISODE}/media/title_card_1a2b3c4d-9.jpg", "podcasts/demo/feed.xml.bak", "other/feed.xml"]


def test_the_cdn_reads_the_private_bucket_through_origin_access_control_with_range_requests(packaged):
    resources = packaged.template["Resources"]
    config = resources["PublicFiles"]["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": ["ContentBucket", "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["PublicFilesAccess", "Id"]}
    access = resources["PublicFilesAccess"]["Properties"]["OriginAccessControlConfig"]
    assert (access["OriginAccessControlOriginType"], access["SigningBehavior"]) == ("s3", "always")
    behaviour = config["DefaultCacheBehavior"]
    # Reads only; CloudFront forwards Range to S3, which answers 206 (no header policy needed).
    assert behaviour["AllowedMethods"] == ["GET", "HEAD"] and behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert packaged.template["Outputs"]["PublicFilesUrl"]["Value"] == {"Fn::Sub": "https://${PublicFiles.DomainName}"}
    publish_env = resources["PublishFeed"]["Properties"]["Environment"]["Variables"]["PUBLIC_BASE_URL"]
    assert publish_env["Fn::If"][0] == "HasPublicBaseUrl"


def test_the_bucket_policy_lets_only_this_distribution_read_only_the_published_files(packaged):
    (statement,) = packaged.template["Resources"]["ContentBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "s3:GetObject"
    assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert resource_text(statement["Condition"]["StringEquals"]["AWS:SourceArn"]) == \
        "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${PublicFiles}"
    prefix = "arn:${AWS::Partition}:s3:::${ContentBucket}/"
    patterns = [_s3_wildcard(resource_text(r).removeprefix(prefix)) for r in statement["Resource"]]
    for key in PUBLISHED:
        assert any(p.match(key) for p in patterns), key
    for key in PRIVATE:  # bundles, scripts, segments, photos (whatever their channel is called)
        assert not any(p.match(key) for p in patterns), key
