#!/usr/bin/env bash
# The project's test command (README "Run the tests"; .ci/run runs exactly
# this). Installs what the tests need, then runs every check; any failure
# fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }

# Real orchestrators are part of the tests; they come with the machine.
for tool in cargo kpt git python3; do
  need "$tool" || { echo "test.sh: $tool is required but not installed" >&2; exit 1; }
done

# PyYAML, a YAML 1.1 reader like kubectl's, checks our quoting (tests/yaml11.rs).
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import yaml' 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check 'PyYAML==6.0.3'
fi
export INJECT_OTEL_PYTHON_TEST_PYTHON="$PWD/.venv/bin/python"

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
# The test-only edit-probe executable the engine tests run (`cargo test
# --all-targets` builds examples as test harnesses, not as executables).
cargo build --examples --locked
cargo test --all-targets --locked
