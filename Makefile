# Two commands for a newcomer: `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
INSTALLED := $(VENV)/.installed
# The console's browser libraries (ECharts), from the npm registry by package-lock.json; served by
# the web app itself, never from a CDN.
ASSETS := node_modules/.installed
MODEL := models/current.tar.gz
TRAINING_INPUTS := config.yml domain.yml data/rules.yml data/stories.yml data/regions.yml \
	$(wildcard data/nlu/*.yml data/jieba/*.txt bot/nlu/*.py) bot/regions.py bot/numbers.py bot/text.py

export PYTHONDONTWRITEBYTECODE := 1
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: FORCE run run-cluster local-secrets test install train validate unit conversations browser-deps pg-deps redis-deps cluster-deps eval bench bench-quick policies purge-trackers clean

$(PY):
	python3.10 -m venv $(VENV)

$(INSTALLED): requirements.lock pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check "pip==24.0"
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

$(ASSETS): package.json package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

install: $(INSTALLED) $(ASSETS)

# Trains only when the training data, the config or the custom NLU code changed in content: the
# stamp holds the inputs' SHA-256 sums and is rewritten only when they differ, so a rebase or a
# checkout that merely touches the files (new timestamps, same bytes) does not retrain.
TRAINING_STAMP := models/.training-inputs.sha256
$(TRAINING_STAMP): FORCE
	@mkdir -p $(@D)
	@sha256sum $(sort $(TRAINING_INPUTS)) > $@.new
	@if cmp -s $@.new $@; then rm -f $@.new; else mv -f $@.new $@; fi

$(MODEL): $(INSTALLED) $(TRAINING_STAMP)
	$(RASA) train --force --fixed-model-name current --out models --quiet
	touch $@

FORCE:

train: $(MODEL)

# Local secrets, made once per checkout and completed when a newer version needs another one
# (README "Threat model" says what each protects). var/ is its owner's alone: the directory 0700,
# its files 0600, and the services run with umask 077 so that the files they create are too.
SECRETS := RASA_TOKEN INTAKE_SECRET HOTLINE_SECRET ACTION_SECRET
VAR ?= var
local-secrets:
	@umask 077; mkdir -p $(VAR); chmod 700 $(VAR); touch $(VAR)/local.env
	@for name in $(SECRETS); do grep -q "^$$name=" $(VAR)/local.env || \
		python3 -c "import secrets; print('$$name=' + secrets.token_hex(32))" >> $(VAR)/local.env; done
	@find $(VAR) -maxdepth 1 -type f -exec chmod 600 {} +
	@test ! -d $(VAR)/cluster || chmod 700 $(VAR)/cluster

run: $(MODEL) $(ASSETS) local-secrets
	umask 077; set -a; . var/local.env; set +a; $(PY) -m bot.core.migrate
	umask 077; $(VENV)/bin/honcho start -f Procfile -e var/local.env

# Rasa's distributed set-up on loopback: WORKERS Rasa servers behind HAProxy (sticky by
# conversation), action servers and web workers, PostgreSQL and Redis with data in var/cluster/.
WORKERS ?= 4
ACTION_WORKERS ?= 2
WEB_WORKERS ?= 2
run-cluster: $(MODEL) local-secrets pg-deps redis-deps cluster-deps
	umask 077; set -a; . var/local.env; set +a; \
		$(PY) -m bot.cluster --rasa $(WORKERS) --actions $(ACTION_WORKERS) --web $(WEB_WORKERS)

# Warnings fail the build, except Rasa's false alarm that a form's utter_ask_* responses are unused.
validate: $(INSTALLED)
	@mkdir -p results
	$(RASA) data validate > results/validate.log 2>&1 || { cat results/validate.log; exit 1; }
	@! grep "UserWarning" results/validate.log | grep -v "The utterance 'utter_ask_[a-z_]*' is not used in any story or rule"

# Chromium and its driver from Debian's packages, for the browser tests.
browser-deps:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && fc-list 2>/dev/null | grep -q -i wqy || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-wqy-zenhei >/dev/null; }

# PostgreSQL from Debian's packages: the intake tests and the bench start private clusters with it.
pg-deps:
	@ls /usr/lib/postgresql/*/bin/initdb /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || \
		{ command -v initdb >/dev/null && command -v pg_ctl >/dev/null; } || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

# Redis from Debian's packages: the WeChat store tests start a private server with it.
redis-deps:
	@command -v redis-server >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }

# HAProxy from Debian's packages: the load balancer of `make run-cluster` and the cluster tests.
cluster-deps:
	@command -v haproxy >/dev/null || test -x /usr/sbin/haproxy || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; }

unit: $(INSTALLED) $(ASSETS)
	$(PY) -m pytest -m "not e2e and not browser"

conversations: $(MODEL)
	$(RASA) test core --stories tests/test_stories.yml --model $(MODEL) \
		--fail-on-prediction-errors --out results/core --quiet

test: $(MODEL) $(ASSETS) browser-deps pg-deps redis-deps cluster-deps validate conversations
	$(PY) -m pytest

eval: $(MODEL)
	$(PY) -m bot.measure.evaluation

bench: $(MODEL) $(ASSETS) pg-deps redis-deps cluster-deps
	$(PY) -m bot.measure.bench

# The same figures from about a quarter of the samples: a check after a change.
bench-quick: $(MODEL) $(ASSETS) pg-deps redis-deps cluster-deps
	$(PY) -m bot.measure.bench --quick

# Retention of the tracker store (daily): conversations idle 180 days, earlier sessions after 30 days.
# (`make purge-trackers TRACKER_ENDPOINTS=var/cluster/endpoints.yml` for the cluster's.)
TRACKER_ENDPOINTS ?= endpoints.yml
purge-trackers: $(INSTALLED)
	$(PY) -m bot.channels.retention --endpoints $(TRACKER_ENDPOINTS)

# Re-imports every source document in data/policies/sources (after adding a notice).
policies: $(INSTALLED)
	$(PY) -m bot.knowledge.importer --all

clean:
	rm -rf models results var/*.db
