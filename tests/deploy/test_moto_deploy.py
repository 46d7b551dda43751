"""The packaged template deployed into moto's CloudFormation, after SAM's own translation.

What `aws cloudformation package` + `deploy` do, against moto's server on loopback: the zip
goes to S3, each function's CodeUri points at it, samtranslator turns the SAM template into
plain CloudFormation, and CloudFormation creates every resource. Three adaptations for moto,
each what AWS does itself: API Gateway is left out (moto's CloudFormation cannot create a
RestApi from a Swagger body); the CloudFront distribution, its origin access control and the
bucket policy naming it are left out (moto's CloudFormation knows none of the three types: the
template tests check them, cfn-lint validates them), their references becoming the values
CloudFormation would give; and the state machine's ``Definition`` + ``DefinitionSubstitutions``
become the equivalent ``DefinitionString`` (moto reads only that), with each placeholder
replaced by the function's ARN exactly as Step Functions substitutes it.
"""
from __future__ import annotations

import json
import re

import boto3
import pytest

REGION = "eu-central-1"  # apart from the local engine's us-east-1 state in the same moto server
STACK = "podcasto-dev"
CDN_DOMAIN = "d111111abcdef8.cloudfront.net"  # what Fn::GetAtt PublicFiles.DomainName gives
NOT_IN_MOTO = ("AWS::CloudFront::Distribution", "AWS::CloudFront::OriginAccessControl", "AWS::S3::BucketPolicy")


class _NoManagedPolicies:
    """samtranslator asks IAM for managed policy ARNs only when a function lists `Policies`."""

    def load(self) -> dict:
        return {}


def cloudformation_template(sam: dict, *, code_bucket: str, code_key: str) -> dict:
    from samtranslator.translator.transform import transform

    sam = json.loads(json.dumps(sam))
    for name, resource in list(sam["Resources"].items()):
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = {"Bucket": code_bucket, "Key": code_key}
        if resource["Type"] == "AWS::Serverless::Api" or "RestAPI" in json.dumps(resource):
            del sam["Resources"][name]
        if resource["Type"] in NOT_IN_MOTO:
            del sam["Resources"][name]
    sam["Outputs"] = {k: v for k, v in sam["Outputs"].items() if "RestAPI" not in json.dumps(v)}
    sam = json.loads(json.dumps(sam).replace("${PublicFiles.DomainName}", CDN_DOMAIN))
    template = transform(sam, {}, _NoManagedPolicies())
    machine = template["Resources"]["StateMachine"]["Properties"]
    substitutions = machine.pop("DefinitionSubstitutions")
    parts = re.split(r"(\$\{[A-Za-z0-9]+\})", json.dumps(machine.pop("Definition")))
    machine["DefinitionString"] = {"Fn::Join": ["", [
        substitutions[part[2:-1]] if re.fullmatch(r"\$\{[A-Za-z0-9]+\}", part) else part for part in parts
    ]]}
    return template


@pytest.fixture(scope="module")
def deployed(packaged, engine, monkeypatch_module):
    monkeypatch_module.setenv("AWS_DEFAULT_REGION", REGION)  # samtranslator's pseudo parameters

    def client(service):
        return boto3.client(service, region_name=REGION, endpoint_url=engine.endpoint,
                            aws_access_key_id="local", aws_secret_access_key="local")

    s3 = client("s3")
    s3.create_bucket(Bucket="podcasto-code", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.upload_file(str(packaged.zip_path), "podcasto-code", "deployment.zip")
    template = cloudformation_template(packaged.template, code_bucket="podcasto-code", code_key="deployment.zip")
    cfn = client("cloudformation")
    cfn.create_stack(
        StackName=STACK, TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "SupabaseUrl", "ParameterValue": "https://project.supabase.co"},
                    {"ParameterKey": "TelegramApiId", "ParameterValue": "12345"}],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    yield client, template
    cfn.delete_stack(StackName=STACK)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _physical_ids(client) -> dict[str, tuple[str, str]]:
    summaries = client("cloudformation").list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    return {s["LogicalResourceId"]: (s["ResourceType"], s["PhysicalResourceId"]) for s in summaries}


def test_every_resource_of_the_template_is_created(deployed):
    client, template = deployed
    stack = client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    created = _physical_ids(client)
    assert set(created) == set(template["Resources"])
    kinds = {kind for kind, _ in created.values()}
    assert {"AWS::Lambda::Function", "AWS::IAM::Role", "AWS::StepFunctions::StateMachine",
            "AWS::S3::Bucket", "AWS::Events::Rule", "AWS::Logs::LogGroup"} <= kinds


def test_every_function_exists_with_its_own_role_and_the_stack_environment(deployed, packaged):
    client, _ = deployed
    created = _physical_ids(client)
    functions = {f["FunctionName"]: f for f in client("lambda").list_functions()["Functions"]}
    roles = {r["Arn"]: r["RoleName"] for r in client("iam").list_roles()["Roles"]}
    bucket = created["ContentBucket"][1]
    for logical in packaged.resources("AWS::Serverless::Function"):
        function = functions[created[logical][1]]
        role_logical = packaged.template["Resources"][logical]["Properties"]["Role"]["Fn::GetAtt"][0]
        assert roles[function["Role"]] == created[role_logical][1], logical
        variables = function["Environment"]["Variables"]
        assert variables["CONTENT_BUCKET"] == bucket
        assert variables["SUPABASE_URL"] == "https://project.supabase.co"
        assert variables["PODCASTO_STAGE"] == "dev"
    api = functions[created["APIHandler"][1]]["Environment"]["Variables"]
    assert api["STATE_MACHINE_ARN"] == created["StateMachine"][1]
    assert functions[created["CollectContent"][1]]["Environment"]["Variables"]["TELEGRAM_API_ID"] == "12345"
    # Feeds name the CDN's address when no custom domain is given.
    assert functions[created["PublishFeed"][1]]["Environment"]["Variables"]["PUBLIC_BASE_URL"] == f"https://{CDN_DOMAIN}"
    outputs = {o["OutputKey"]: o["OutputValue"]
               for o in client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]["Outputs"]}
    assert outputs["PublicFilesUrl"] == f"https://{CDN_DOMAIN}"


def test_the_state_machine_runs_the_asl_file_on_the_deployed_functions(deployed):
    client, _ = deployed
    created = _physical_ids(client)
    # moto's CloudFormation creates state machines in its classic Step Functions backend, which
    # its API stops answering once the local engine switches on execution: read that backend.
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.stepfunctions.models import stepfunctions_backends

    machine = stepfunctions_backends[DEFAULT_ACCOUNT_ID][REGION].describe_state_machine(created["StateMachine"][1])
    definition = json.loads(machine.definition)
    function_arns = {f["FunctionName"]: f["FunctionArn"] for f in client("lambda").list_functions()["Functions"]}
    assert definition["States"]["CollectContent"]["Resource"] == function_arns[created["CollectContent"][1]]
    map_state = definition["States"]["SynthesizeSegments"]["ItemProcessor"]["States"]["SynthesizeSegment"]
    assert map_state["Resource"] == function_arns[created["SynthesizeSegment"][1]]
    # The context-object paths survive substitution untouched.
    assert definition["States"]["ValidateEpisode"]["Parameters"]["execution_id.$"] == "$$.Execution.Id"
    assert "${" not in machine.definition
    assert machine.roleArn.endswith(created["StateMachineRole"][1])


def test_the_execution_status_rule_targets_the_reconciler_for_this_state_machine(deployed):
    client, _ = deployed
    created = _physical_ids(client)
    events = client("events")
    rules = [r for r in events.list_rules()["Rules"] if "ReconcileExecution" in r["Name"]]
    assert len(rules) == 1
    pattern = json.loads(rules[0]["EventPattern"])
    assert pattern["detail"]["stateMachineArn"] == [created["StateMachine"][1]]
    targets = events.list_targets_by_rule(Rule=rules[0]["Name"])["Targets"]
    assert [t["Arn"].split(":")[-1] for t in targets] == [created["ReconcileExecution"][1]]


def test_the_sweeper_is_scheduled_and_may_describe_only_this_state_machines_executions(deployed):
    client, _ = deployed
    created = _physical_ids(client)
    sweeper = created["SweepEpisodes"][1]
    events = client("events")
    rules = [r for r in events.list_rules()["Rules"] if r.get("ScheduleExpression")]
    [rule] = [r for r in rules if [t["Arn"].split(":")[-1] for t in events.list_targets_by_rule(Rule=r["Name"])["Targets"]] == [sweeper]]
    assert rule["ScheduleExpression"] == "rate(5 minutes)"
    function = client("lambda").get_function(FunctionName=sweeper)["Configuration"]
    assert function["Environment"]["Variables"]["STATE_MACHINE_ARN"] == created["StateMachine"][1]
    iam = client("iam")
    role = created["SweepEpisodesRole"][1]
    import ast

    documents = [iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
                 for name in iam.list_role_policies(RoleName=role)["PolicyNames"]]
    # moto's CloudFormation stores an inline policy made from the template as the dict's repr.
    documents = [ast.literal_eval(d) if isinstance(d, str) else d for d in documents]
    describe = [s for d in documents for s in d["Statement"] if s["Action"] == "states:DescribeExecution"]
    machine_name = created["StateMachine"][1].split(":")[-1]
    assert [s["Resource"] for s in describe] == [
        f"arn:aws:states:{REGION}:123456789012:execution:{machine_name}:*"]
