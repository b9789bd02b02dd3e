#!/usr/bin/env bash
# bench/train/run.sh: one training step of llmake-train against PyTorch eager on the CPU
# (bench_train.py; figures in bench/RESULTS-train.md).  Peers: Debian's torch 1.13 over the
# same OpenBLAS (.venv-torch/, made by `make test`'s setup) and, when
# bench/train/setup_torch_pypi.sh has made .venv-torch-pypi/ (~5 GB), PyPI's torch with MKL.
# Environment: THREADS (2), STEPS (5), ROUNDS (3).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
if [ ! -x .venv-torch/bin/python ]; then
	echo "bench/train/run.sh: .venv-torch/ is missing (hint: tools/setup, or make test, makes it)" >&2
	exit 1
fi
peers=(--torch-python .venv-torch/bin/python)
[ -e .venv-torch-pypi/.complete ] && peers+=(--torch-python .venv-torch-pypi/bin/python)
exec .venv-torch/bin/python bench/train/bench_train.py --threads "${THREADS:-2}" \
	--steps "${STEPS:-5}" --rounds "${ROUNDS:-3}" "${peers[@]}"
