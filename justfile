# Listbridge tasks. `just run` and `just test` set everything up themselves.

set shell := ["bash", "-euo", "pipefail", "-c"]

venv := ".venv"
bin := venv / "bin"

# Serve the app with the demo organisation on http://127.0.0.1:8000
default: run

# Create or refresh .venv (fast when pyproject.toml has not changed)
bootstrap:
    #!/usr/bin/env bash
    set -euo pipefail
    python="${PYTHON:-python3}"
    if [ ! -x {{bin}}/python ]; then
        "$python" -c 'import sys; assert sys.version_info >= (3, 11), "Listbridge needs Python 3.11 or newer"'
        "$python" -m venv {{venv}}
    fi
    stamp={{venv}}/.installed
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        {{bin}}/python -m pip install --quiet --upgrade pip
        {{bin}}/python -m pip install --quiet -e ".[dev]"
        touch "$stamp"
    fi

# Migrate, seed the demo (LISTBRIDGE_DEMO=1 by default) and serve
run: bootstrap
    LISTBRIDGE_DEMO="${LISTBRIDGE_DEMO:-1}" {{bin}}/listbridge serve

# The whole suite twice: embedded (SQLite + Valkey), then Postgres + Redis
test *args: bootstrap
    {{just_executable()}} test-sqlite {{args}}
    {{just_executable()}} test-postgres {{args}}

# The suite on the embedded default: SQLite file + embedded Valkey
test-sqlite *args: bootstrap
    LISTBRIDGE_TEST_DB=sqlite {{bin}}/python -m pytest {{args}}

# The suite on Postgres (127.0.0.1:5432) + Redis (127.0.0.1:6379)
test-postgres *args: bootstrap
    LISTBRIDGE_TEST_DB=postgres {{bin}}/python -m pytest {{args}}

# Run background workers as a separate process (needs DATABASE_URL and REDIS_URL)
worker: bootstrap
    {{bin}}/listbridge worker

# Apply database migrations
migrate: bootstrap
    {{bin}}/listbridge migrate

# The offline Mailchimp sandbox on http://127.0.0.1:8025 (SANDBOX_PORT to change)
sandbox: bootstrap
    {{bin}}/python -m app.mailchimp.sandbox

# Check style
lint: bootstrap
    {{bin}}/ruff check app tests bench piccolo_conf.py
    {{bin}}/ruff format --check app tests bench piccolo_conf.py

# Fix style
fmt: bootstrap
    {{bin}}/ruff format app tests bench piccolo_conf.py
    {{bin}}/ruff check --fix app tests bench piccolo_conf.py

# Benchmarks: each script prints its figures, the last line as JSON
bench: bootstrap
    #!/usr/bin/env bash
    set -euo pipefail
    for script in bench/*.py; do
        case "$(basename "$script")" in harness.py|scenario.py) continue ;; esac
        echo "== $script"
        {{bin}}/python "$script"
    done

# 1,000 random histories checked against a model of intent; prints how many diverged
fidelity examples="1000": bootstrap
    LISTBRIDGE_FIDELITY_EXAMPLES={{examples}} {{bin}}/python -m pytest tests/integration/test_fidelity.py -s -q -p no:warnings
