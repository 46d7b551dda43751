# podcasto — every command sets up what it needs (idempotently) on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The stamp changes with the requirements, so an edited requirements file reinstalls.
REQ_HASH := $(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
STAMP := $(VENV)/.installed-$(REQ_HASH)

.PHONY: setup demo generate local tick telegram-session test mutation bench package deploy clean
.DEFAULT_GOAL := demo
# glibc gives each thread that allocates its own malloc arena; the Map's parallel segment
# workers then keep ~100 MB of freed memory mapped. Two arenas keep a long episode's peak RSS
# flat (bench/bench_long_episode.py measures it).
export MALLOC_ARENA_MAX ?= 2

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP)

# npm tools for the tests (asl-validator), pinned by package-lock.json.
NODE_STAMP := node_modules/.installed-$(shell sha1sum package-lock.json | cut -c1-12)
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { test "$$(id -u)" = 0 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm; } \
	  || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm; } \
	  || { echo "npm is needed for the tests (asl-validator): apt-get install npm" >&2; exit 1; }
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## make demo: one episode of the bundled example export through the local engine, into out/
demo: setup
	$(PY) -m podcasto_local.cli demo --out out

## make generate EXPORT=<result.json> OUT=<dir> [CHAT=..] [LANGUAGE=en|he] [FORMAT=dialogue|narrator]
##               [START=.. END=.. | DAYS_BACK=..]
##               or CHANNEL=<@name or t.me link[,...]> instead of EXPORT (live, needs Telegram credentials)
GENERATE_USAGE := usage: make generate EXPORT=<result.json> | CHANNEL=<@name> OUT=<dir> [CHAT=..] [LANGUAGE=en|he] [FORMAT=dialogue|narrator] [START=.. END=.. | DAYS_BACK=..]
# $(shell) runs before make exports anything (GNU make 4.3): the CLI gets MALLOC_ARENA_MAX here,
# or a long episode's peak RSS grows by ~140 MB (bench/bench_big_export.py).
GENERATE_CLI = MALLOC_ARENA_MAX=$(MALLOC_ARENA_MAX) $(PY) -m podcasto_local.cli generate $(if $(CHANNEL),--channel "$(CHANNEL)",--export "$(EXPORT)") --out "$(or $(OUT),out)" \
	  $(if $(CHAT),--chat "$(CHAT)") $(if $(LANGUAGE),--language "$(LANGUAGE)") \
	  $(if $(FORMAT),--format "$(FORMAT)") $(if $(START),--start-date "$(START)") \
	  $(if $(END),--end-date "$(END)") $(if $(DAYS_BACK),--days-back "$(DAYS_BACK)")
# A failing recipe always ends in make's own "make: *** [Makefile:NN: generate] Error N" line, and
# no make flag silences it. So `make generate` runs the CLI (its output on stderr, as it goes)
# while make reads this file; only when the CLI failed does it turn on make's --question mode,
# in which make runs no recipe and exits 1 without a word: the CLI's one-line reason stays the
# last line. make cannot pass on the CLI's own status (0-4, 130; README "Any export"), so
# `make generate` exits 0 or 1; the CLI run directly gives the detailed one. `make -n` runs nothing.
ifeq ($(MAKECMDGOALS),generate)
ifeq ($(findstring n,$(firstword -$(MAKEFLAGS))),)
GENERATE_STATUS := $(shell if [ -z "$(EXPORT)$(CHANNEL)" ]; then echo "$(GENERATE_USAGE)" >&2; echo 2; \
	else { $(MAKE) --no-print-directory -s setup && $(GENERATE_CLI); } >&2; echo $$?; fi)
ifneq ($(GENERATE_STATUS),0)
MAKEFLAGS += --question
endif
endif
endif
generate:
	@:

## make tick [NOW=<ISO-8601>]: one scheduler tick: start the episodes of the podcasts that are due
##             (beside a running make local, on its engine; else on its own, waiting for them)
tick: setup
	$(PY) -m podcasto_local.cli tick $(if $(NOW),--now "$(NOW)")

## make telegram-session: log in once (phone, code, 2FA) and print a session string to store as a secret
telegram-session: setup
	$(PY) scripts/telegram_session.py

## make local: the admin API (chalice local --no-autoreload, stage local) on PORT (8000) and the
##             local engine's Step Functions + S3 on LOCAL_SFN_PORT (8083)
local: setup
	@PORT="$(or $(PORT),8000)" LOCAL_SFN_PORT="$(or $(LOCAL_SFN_PORT),8083)" scripts/local.sh

## make test: the whole suite
test: setup $(NODE_STAMP)
	$(PY) -m pytest -q

## make mutation: mutation testing (mutmut, setup.cfg) of the critical modules against the unit and
##                SQLite contract tests; prints the score per module and every surviving mutant, fails
##                below 90%. A fresh run each time (~10 CPU minutes); not part of make test.
mutation: setup
	@rm -rf mutants
	$(VENV)/bin/mutmut run
	@$(PY) scripts/mutation_report.py --min-score 90

## make bench: print the benchmarks' figures
bench: setup
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

## make package [STAGE=dev|prod]: dist/sam.json (one deployable template) and dist/deployment.zip
STAGE ?= dev
DIST ?= dist
package: setup
	$(PY) -m podcasto_deploy.package --stage "$(STAGE)" --out "$(DIST)"

## make deploy STAGE=dev|prod DEPLOY_BUCKET=<s3 bucket for code> SUPABASE_URL=<https://...> [TELEGRAM_API_ID=..]
##             (needs the AWS CLI and credentials; see README "Deploy")
deploy: package
	@STAGE="$(STAGE)" scripts/deploy.sh

clean:
	rm -rf out dist .pytest_cache mutants

-include mk/*.mk
