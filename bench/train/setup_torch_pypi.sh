#!/bin/bash
# bench/train/setup_torch_pypi.sh: PyPI's PyTorch (MKL + oneDNN, what `pip install torch` gives)
# as a second peer for bench/train/bench_train.py, in .venv-torch-pypi/.  Not part of the test
# setup: PyPI has no CPU-only torch, and its CUDA wheel pulls ~4.5 GB of nvidia-* wheels
# (measured 2026-11-23: ~3 min, 5.4 GB installed).  The tests' peer is Debian's torch 1.13
# (.venv-torch/, tools/requirements.txt), built over the same OpenBLAS as llmake.
#
# usage: bash bench/train/setup_torch_pypi.sh
#        .venv-torch/bin/python bench/train/bench_train.py \
#            --torch-python .venv-torch/bin/python --torch-python .venv-torch-pypi/bin/python
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=.venv-torch-pypi
# the marker is written last: an interrupted install is redone, never taken as complete
if [ ! -e "$VENV/.complete" ]; then
	rm -rf "$VENV"
	python3 -m venv "$VENV"
	"$VENV/bin/python" -m pip install -q torch==2.15.0 numpy==2.4.6
	touch "$VENV/.complete"
fi
"$VENV/bin/python" -c 'import torch; print("torch", torch.__version__, "in", "'"$VENV"'")'
