# Two commands for everyone:  make lab  |  make test
# Both create .venv on first use and re-install only when pyproject.toml changes.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# torch is pinned; on a plain Linux PyPI this pin pulls the CUDA build. For a CPU-only
# or a specific CUDA build, pass an index, e.g.  make lab TORCH_INDEX="--index-url <PyTorch wheel index>"
TORCH_INDEX ?=
# JupyterLab refuses to start as root (containers, CI) unless told it may.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "The course needs Python 3.10 or newer; $(PYTHON) is $$($(PYTHON) --version). Run: make lab PYTHON=python3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || \
		{ rm -rf $(VENV); echo "Could not create $(VENV). On Debian/Ubuntu: sudo apt install python3-venv, then run make again."; exit 1; }
	$(BIN)/python -m pip install --quiet "torch==2.13.0" $(TORCH_INDEX)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --ip=127.0.0.1 --no-browser $(LAB_ROOT) --LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) *.egg-info
