"""The merge template that `chalice package --merge-template` folds into Chalice's SAM template.

Generated from statemachine.asl.json on every `make package`, never edited by hand, so the
deployed workflow is always the file the local engine runs. It adds what Chalice does not make:

- the state machine, its ASL inlined as a ``Definition`` object (so cfn-lint checks it) with
  ``DefinitionSubstitutions`` mapping each ``${<Function>Arn}`` placeholder to that function;
- its role, allowed to invoke exactly those functions, and its log group;
- the content bucket (public access blocked, encrypted, lifecycle rules);
- a log group per function, with retention, and a policy letting that function write only there;
- the environment Chalice cannot know: the bucket, the Supabase URL, the state machine ARN
  (API, scheduler, sweeper), the Telegram API id (collection), the Bedrock model (script writing);
- the execution-status rule of ``reconcile_execution`` narrowed to this state machine;
- the scheduler's and the sweeper's ``STATE_MACHINE_ARN`` (Chalice makes their EventBridge rules
  from ``@app.schedule``).

Chalice merges dicts deeply but replaces lists, so this template only adds keys to the
resources Chalice made (never a list they already have).
"""
from __future__ import annotations

import re

from chalicelib.config import SETTINGS
from chalicelib.domain import PUBLIC_KEY_PATTERNS

PLACEHOLDER = re.compile(r"^\$\{(?P<function>[A-Za-z0-9]+)Arn\}$")
API_FUNCTION = "APIHandler"
API_ROLE = "ApiHandlerRole"  # Chalice's spelling for the API function's role
RECONCILER = "ReconcileExecution"
SCHEDULER = "ScheduleEpisodes"  # starts the due podcasts' episodes (needs STATE_MACHINE_ARN)
SWEEPER = "SweepEpisodes"  # the scheduled sweep: it describes this state machine's executions
LOG_RETENTION_DAYS = 30
# StitchAudio keeps every segment on /tmp between its two passes (~160 MB per hour of audio at
# 22-24 kHz) plus the MP3: 1 GB holds five hours; Lambda's default 512 MB would cap at ~2.5.
EPHEMERAL_STORAGE_MB = {"StitchAudio": 1024}
# Log groups go with the stack (their retention is 30 days anyway); said explicitly, as
# cfn-lint asks of every stateful resource.
_DISPOSABLE = {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"}


def logical_id(function_name: str) -> str:
    """Chalice's logical id for an ``@app.lambda_function(name=...)``: collect_content → CollectContent."""
    return "".join(part[:1].upper() + part[1:] for part in function_name.split("_"))


def task_functions(asl: dict) -> list[str]:
    """Logical ids of the functions the state machine invokes, in the order the ASL names them."""
    found: list[str] = []

    def walk(states: dict) -> None:
        for state in states.values():
            match = PLACEHOLDER.match(str(state.get("Resource", "")))
            if state.get("Type") == "Task" and match and match["function"] not in found:
                found.append(match["function"])
            processor = state.get("ItemProcessor") or state.get("Iterator")
            if processor:
                walk(processor["States"])
            for branch in state.get("Branches", []):
                walk(branch["States"])

    walk(asl["States"])
    return found


def role_of(function: str) -> str:
    return API_ROLE if function == API_FUNCTION else f"{function}Role"


def merge_template(asl: dict, *, stage: str, functions: list[str]) -> dict:
    """``functions``: logical ids of every function Chalice packages (tasks, reconciler, API)."""
    tasks = task_functions(asl)
    missing = [f for f in tasks if f not in functions]
    if missing:
        raise ValueError(f"statemachine.asl.json invokes functions the app does not define: {missing}")
    resources: dict = {
        "ContentBucket": _bucket(),
        "StateMachineLogGroup": {
            "Type": "AWS::Logs::LogGroup",
            **_DISPOSABLE,
            "Properties": {
                "LogGroupName": f"/aws/vendedlogs/states/podcasto-{stage}",
                "RetentionInDays": LOG_RETENTION_DAYS,
            },
        },
        "StateMachineRole": _state_machine_role(tasks),
        "StateMachine": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "StateMachineName": f"podcasto-{stage}",
                "StateMachineType": "STANDARD",
                "RoleArn": {"Fn::GetAtt": ["StateMachineRole", "Arn"]},
                "Definition": asl,
                "DefinitionSubstitutions": {
                    f"{f}Arn": {"Fn::GetAtt": [f, "Arn"]} for f in tasks
                },
                # Execution data holds channel messages' ids and the episode window, not message
                # bodies (those stay in S3); ERROR level keeps failures without logging every step.
                "LoggingConfiguration": {
                    "Level": "ERROR",
                    "IncludeExecutionData": True,
                    "Destinations": [
                        {"CloudWatchLogsLogGroup": {"LogGroupArn": {"Fn::GetAtt": ["StateMachineLogGroup", "Arn"]}}}
                    ],
                },
            },
        },
    }
    for function in functions:
        resources.update(_function_logging(function))
    for function, megabytes in EPHEMERAL_STORAGE_MB.items():
        resources.setdefault(function, {}).setdefault("Properties", {})["EphemeralStorage"] = {"Size": megabytes}
    _add_environment(resources, API_FUNCTION, STATE_MACHINE_ARN={"Ref": "StateMachine"})
    if SCHEDULER in functions:
        _add_environment(resources, SCHEDULER, STATE_MACHINE_ARN={"Ref": "StateMachine"})
    if SWEEPER in functions:
        _add_environment(resources, SWEEPER, STATE_MACHINE_ARN={"Ref": "StateMachine"})
    _add_environment(resources, "CollectContent", TELEGRAM_API_ID={"Ref": "TelegramApiId"})
    _add_environment(resources, "WriteScript", BEDROCK_MODEL_ID={"Ref": "BedrockModelId"})
    resources.update(_public_files())
    if "PublishFeed" in functions:
        _add_environment(resources, "PublishFeed", PUBLIC_BASE_URL={"Fn::If": [
            "HasPublicBaseUrl", {"Ref": "PublicBaseUrl"},
            {"Fn::Sub": "https://${PublicFiles.DomainName}"}]})
    if RECONCILER in functions:
        resources.setdefault(RECONCILER, {}).setdefault("Properties", {})["Events"] = {
            f"{RECONCILER}Event": {"Properties": {"Pattern": {"detail": {"stateMachineArn": [{"Ref": "StateMachine"}]}}}}
        }
    return {
        "Parameters": _parameters(stage),
        "Conditions": {"HasPublicBaseUrl": {"Fn::Not": [{"Fn::Equals": [{"Ref": "PublicBaseUrl"}, ""]}]}},
        "Globals": {
            "Function": {
                "Environment": {
                    "Variables": {"CONTENT_BUCKET": {"Ref": "ContentBucket"}, "SUPABASE_URL": {"Ref": "SupabaseUrl"}}
                }
            }
        },
        "Resources": resources,
        "Outputs": {
            "StateMachineArn": {"Value": {"Ref": "StateMachine"}},
            "ContentBucketName": {"Value": {"Ref": "ContentBucket"}},
            "PublicFilesUrl": {
                "Description": "The CloudFront distribution serving feeds, audio, transcripts, chapters and "
                               "cover art: a podcast's feed is <this>/podcasts/<podcast_id>/feed.xml.",
                "Value": {"Fn::Sub": "https://${PublicFiles.DomainName}"},
            },
        },
    }


def _parameters(stage: str) -> dict:
    return {
        "Stage": {
            "Type": "String",
            "Default": stage,
            "AllowedValues": [stage],
            "Description": "Fixed by `make package STAGE=...`; names the SSM parameters /podcasto/<stage>/*.",
        },
        "SupabaseUrl": {
            "Type": "String",
            "AllowedPattern": "^https?://.+",
            "Description": "The Supabase project URL (https://<ref>.supabase.co).",
        },
        "TelegramApiId": {
            "Type": "String",
            "Default": "",
            "Description": "Telegram API id (my.telegram.org); empty when no podcast reads live channels.",
        },
        "BedrockModelId": {
            "Type": "String",
            "Default": SETTINGS["BEDROCK_MODEL_ID"][0],
            "Description": "The Bedrock model WriteScript may invoke (SCRIPT_WRITER=bedrock).",
        },
        "PublicBaseUrl": {
            "Type": "String",
            "Default": "",
            "AllowedPattern": "^(https://[^\\s/]+(/[^\\s]*[^\\s/])?)?$",
            "Description": "A custom domain in front of the CloudFront distribution (https://podcasts.example.com), "
                           "named in the feeds; empty: the distribution's own address.",
        },
        "TierAfterDays": {
            "Type": "Number",
            "Default": 90,
            "MinValue": 1,
            "Description": "Days an episode's objects stay in S3 Standard before moving to Intelligent-Tiering.",
        },
    }


def _public_files() -> dict:
    """A CloudFront distribution with origin access control in front of the private bucket.

    The bucket policy lets only this distribution read, and only the published keys
    (``chalicelib.domain.PUBLIC_KEY_PATTERNS``); every
    other key answers 403 through the CDN as it does directly. CloudFront passes Range requests
    to S3 (206 Partial Content), which podcast apps need to seek and resume.
    """
    return {
        "PublicFilesAccess": {
            "Type": "AWS::CloudFront::OriginAccessControl",
            "Properties": {
                "OriginAccessControlConfig": {
                    "Name": {"Fn::Sub": "podcasto-${Stage}-${AWS::StackName}"},
                    "OriginAccessControlOriginType": "s3",
                    "SigningBehavior": "always",
                    "SigningProtocol": "sigv4",
                }
            },
        },
        "PublicFiles": {
            "Type": "AWS::CloudFront::Distribution",
            "Properties": {
                "DistributionConfig": {
                    "Enabled": True,
                    "Comment": {"Fn::Sub": "podcasto ${Stage}: feeds and episode files"},
                    "HttpVersion": "http2and3",
                    "PriceClass": "PriceClass_100",
                    "Origins": [{
                        "Id": "ContentBucket",
                        "DomainName": {"Fn::GetAtt": ["ContentBucket", "RegionalDomainName"]},
                        "OriginAccessControlId": {"Fn::GetAtt": ["PublicFilesAccess", "Id"]},
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }],
                    "DefaultCacheBehavior": {
                        "TargetOriginId": "ContentBucket",
                        "ViewerProtocolPolicy": "redirect-to-https",
                        "AllowedMethods": ["GET", "HEAD"],
                        "CachedMethods": ["GET", "HEAD"],
                        "Compress": True,
                        # AWS's managed CachingOptimized policy.
                        "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
                    },
                },
            },
        },
        "ContentBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "ContentBucket"},
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Sid": "PublishedFilesThroughTheCdnOnly",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudfront.amazonaws.com"},
                        "Action": "s3:GetObject",
                        "Resource": [{"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::${{ContentBucket}}/{key}"}
                                     for key in PUBLIC_KEY_PATTERNS],
                        "Condition": {"StringEquals": {"AWS:SourceArn": {
                            "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${PublicFiles}"}}},
                    }],
                },
            },
        },
    }


def _bucket() -> dict:
    return {
        "Type": "AWS::S3::Bucket",
        # The audio is the product: deleting the stack must not delete the episodes.
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}
                ]
            },
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        # Content bundles, scripts and lossless segments are read again only
                        # by a retry; tiering keeps them readable (a retry still reuses them)
                        # at a fraction of the cost.
                        "Id": "TierEpisodeContent",
                        "Status": "Enabled",
                        "Prefix": "podcasts/",
                        "Transitions": [
                            {"StorageClass": "INTELLIGENT_TIERING", "TransitionInDays": {"Ref": "TierAfterDays"}}
                        ],
                    },
                    {
                        "Id": "AbortIncompleteUploads",
                        "Status": "Enabled",
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                    },
                ]
            },
        },
    }


def _state_machine_role(tasks: list[str]) -> dict:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "states.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
                    }
                ],
            },
            "Policies": [
                {
                    "PolicyName": "InvokeEpisodeTasks",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "InvokeOnlyTheseFunctions",
                                "Effect": "Allow",
                                "Action": "lambda:InvokeFunction",
                                "Resource": [{"Fn::GetAtt": [f, "Arn"]} for f in tasks],
                            },
                            {
                                # CloudWatch Logs' log delivery for Step Functions has no resource-level
                                # permissions: AWS documents "*" for exactly these actions.
                                "Sid": "DeliverExecutionLogs",
                                "Effect": "Allow",
                                "Action": [
                                    "logs:CreateLogDelivery",
                                    "logs:GetLogDelivery",
                                    "logs:UpdateLogDelivery",
                                    "logs:DeleteLogDelivery",
                                    "logs:ListLogDeliveries",
                                    "logs:PutResourcePolicy",
                                    "logs:DescribeResourcePolicies",
                                    "logs:DescribeLogGroups",
                                ],
                                "Resource": "*",
                            },
                        ],
                    },
                }
            ],
        },
    }


def _function_logging(function: str) -> dict:
    """The function's own log group (with retention) and a policy that writes only there."""
    group = f"{function}LogGroup"
    return {
        group: {"Type": "AWS::Logs::LogGroup", **_DISPOSABLE, "Properties": {"RetentionInDays": LOG_RETENTION_DAYS}},
        f"{function}LogsPolicy": {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": f"{function}Logs",
                "Roles": [{"Ref": role_of(function)}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "WriteOwnLogs",
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": {"Fn::GetAtt": [group, "Arn"]},
                        }
                    ],
                },
            },
        },
        function: {"Properties": {"LoggingConfig": {"LogGroup": {"Ref": group}}}},
    }


def _add_environment(resources: dict, function: str, **variables) -> None:
    properties = resources.setdefault(function, {}).setdefault("Properties", {})
    properties.setdefault("Environment", {}).setdefault("Variables", {}).update(variables)
