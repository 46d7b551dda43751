#!/usr/bin/env bash
# `make deploy STAGE=dev|prod`: dist/sam.json (from `make package`) → the CloudFormation stack
# podcasto-<stage>, with `aws cloudformation package` + `aws cloudformation deploy`.
#
#   DEPLOY_BUCKET   an S3 bucket you own in the target region, for the code zip (required)
#   SUPABASE_URL    https://<project-ref>.supabase.co (required)
#   TELEGRAM_API_ID Telegram API id, when podcasts read live channels (optional)
#   STACK_NAME      default podcasto-<stage>
#
# Secrets are never passed here: the functions read them from SSM SecureString parameters
# /podcasto/<stage>/<NAME>. This script checks that the required ones exist (by name only).
set -euo pipefail
cd "$(dirname "$0")/.."

STAGE=${STAGE:-dev}
STACK_NAME=${STACK_NAME:-podcasto-$STAGE}
die() { printf 'deploy: %s\n' "$*" >&2; exit 1; }

command -v aws >/dev/null || die "the AWS CLI is needed (https://docs.aws.amazon.com/cli/), with credentials for the target account"
[[ -n ${DEPLOY_BUCKET:-} ]] || die "set DEPLOY_BUCKET to an S3 bucket in the target region for the code package"
[[ ${SUPABASE_URL:-} == http* ]] || die "set SUPABASE_URL to the Supabase project URL (https://<ref>.supabase.co)"
[[ -f dist/sam.json && -f dist/deployment.zip ]] || die "dist/ is empty: run make package STAGE=$STAGE first"
grep -q ":stage=$STAGE:" dist/sam.json || die "dist/sam.json was packaged for another stage: run make package STAGE=$STAGE"

missing=$(aws ssm get-parameters --names "/podcasto/$STAGE/SUPABASE_KEY" "/podcasto/$STAGE/PODCASTO_API_KEY" \
          --query 'InvalidParameters' --output text)
[[ -z $missing || $missing == None ]] || die "create these SSM SecureString parameters first (README, Deploy): $missing"

aws cloudformation package --use-json --template-file dist/sam.json \
    --s3-bucket "$DEPLOY_BUCKET" --s3-prefix "podcasto/$STAGE" --output-template-file dist/packaged.json
aws cloudformation deploy --template-file dist/packaged.json --stack-name "$STACK_NAME" \
    --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
    --parameter-overrides "SupabaseUrl=$SUPABASE_URL" "TelegramApiId=${TELEGRAM_API_ID:-}" \
                          "PublicBaseUrl=${PUBLIC_BASE_URL:-}"
aws cloudformation describe-stacks --stack-name "$STACK_NAME" --query 'Stacks[0].Outputs' --output table
