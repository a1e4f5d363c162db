# Two commands for everyone:  make lab  |  make test
# Both create .venv on first use and re-install only when pyproject.toml changes.
# They install the learner's set (dependencies + the dev extra); the grading stack (nbgrader) comes only
# with  make instructor  (the instructor extra, Python >= 3.11), which adds it to the same .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
INSTRUCTOR_STAMP := $(VENV)/.installed-instructor
# torch is pinned; on a plain Linux PyPI this pin pulls the CUDA build. For a CPU-only
# or a specific CUDA build, pass an index, e.g.  make lab TORCH_INDEX="--index-url <PyTorch wheel index>"
TORCH_INDEX ?=
# JupyterLab refuses to start as root (containers, CI) unless told it may.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab lab-course test test-fast bench gpu-check instructor exercises examples grade hub hub-install slides deck-check site clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "The course needs Python 3.10 or newer; $(PYTHON) is $$($(PYTHON) --version). Run: make lab PYTHON=python3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || \
		{ rm -rf $(VENV); echo "Could not create $(VENV). On Debian/Ubuntu: sudo apt install python3-venv, then run make again."; exit 1; }
	$(BIN)/python -m pip install --quiet "torch==2.13.0" $(TORCH_INDEX)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

# nbgrader 0.9.6 needs Python >= 3.11. Check the interpreter that will install it (.venv's, or $(PYTHON) before
# .venv exists) before anything is downloaded, then install the learner's set and add the instructor extra.
$(INSTRUCTOR_STAMP): pyproject.toml
	@py=$(BIN)/python; test -x $$py || py=$(PYTHON); \
	$$py -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "make instructor: nbgrader 0.9.6 (the grading stack) needs Python 3.11 or newer; $$py is $$($$py --version 2>&1)."; \
		echo "Pick a newer interpreter:  make clean && make instructor PYTHON=python3.11   (or python3.12, python3.13)"; \
		exit 1; }
	@$(MAKE) --no-print-directory $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,instructor]"
	@touch $(INSTRUCTOR_STAMP)

# The learner works on copies in $(WORK)/ (ignored by git; lab/workspace.py brings them up to date), so that
# `git pull` never conflicts with a saved lesson. JupyterLab's settings overrides (lab/overrides.json, installed
# into the venv) turn off the "get notified about official Jupyter news?" question and the update check.
WORK ?= my-work
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json

$(LAB_SETTINGS): lab/overrides.json $(STAMP)
	@mkdir -p $(dir $@)
	cp lab/overrides.json $@

lab: $(STAMP) $(LAB_SETTINGS)
	@$(BIN)/python lab/workspace.py --work $(WORK)
	$(BIN)/jupyter lab --ip=127.0.0.1 --no-browser $(LAB_ROOT) --LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb --ServerApp.root_dir=$(WORK)

# JupyterLab on the course's own files (authors and instructors: lessons, solutions/, nbgrader's Formgrader).
lab-course: $(STAMP) $(LAB_SETTINGS)
	$(BIN)/jupyter lab --ip=127.0.0.1 --no-browser $(LAB_ROOT) --LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb

test: $(STAMP)
	$(BIN)/python -m pytest

# The quick tier while editing (about 3 minutes on 2 cores): everything but the tests marked slow (lesson notebooks,
# browser and grading tests), with hypothesis at fewer examples. make test stays the whole suite.
test-fast: $(STAMP)
	COURSE_TESTS=fast $(BIN)/python -m pytest -m "not slow"

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# On a machine with an NVIDIA GPU: the CUDA tests, make bench on CUDA, lesson 05 and the exercise checks on CUDA,
# float32/TF32 errors, nearest-neighbour CPU vs CUDA; one Markdown report (see benchmarks/gpu_check.sh's header).
# It makes .venv itself unless GPU_CHECK_ARGS names another Python (--python python3 --wheels DIR, where offline).
gpu-check:
	bash benchmarks/gpu_check.sh $(GPU_CHECK_ARGS)

# For instructors: the grading stack (nbgrader 0.9.6) in .venv; later grading targets depend on $(INSTRUCTOR_STAMP).
instructor: $(INSTRUCTOR_STAMP)
	@$(BIN)/python -c 'import importlib.metadata as m; print("nbgrader", m.version("nbgrader"), "is installed in $(VENV)")'

# Exercises and grading (nbgrader, configured by nbgrader_config.py; see the README's instructor section).
exercises: $(INSTRUCTOR_STAMP)
	$(BIN)/python -m grading.grade --exercises

examples: exercises
	$(BIN)/python -m grading.examples

# Every submission graded on its own, its kernel in a bubblewrap sandbox (Debian: apt install bubblewrap).
#   make grade JOBS=4        sandboxes at once (default: one per core)
#   make grade MEMORY=2G     each kernel's memory limit (default 4G)
#   make grade UNSAFE=1      only where no sandbox can be made: student code then runs with your rights
grade: $(INSTRUCTOR_STAMP)
	$(BIN)/python -m grading.grade $(if $(JOBS),--jobs $(JOBS)) $(if $(MEMORY),--memory $(MEMORY)) \
		$(if $(filter-out 0,$(UNSAFE)),--unsafe)

# Slide decks: every lesson as an offline reveal.js deck in build/slides/ (open with no network). The browser
# assets come from the npm registry, pinned in slides/package-lock.json; npm ci re-runs only when that changes.
# DECKS="01_conv1d 02_conv2d" builds only those lessons' decks.
DECKS ?=
slides: $(STAMP) slides/node_modules/.package-lock.json
	$(BIN)/python slides/build.py $(patsubst %,notebooks/%.ipynb,$(DECKS))

# The decks measured at 1280x720 in Chromium (slides/check.py): one row per deck (slides, overflowing, fragments
# off-screen, notes, widgets that move, smallest text), then every problem. DECKS=01_conv1d checks one deck.
deck-check: slides
	$(BIN)/python slides/check.py -v $(DECKS)

# A class on JupyterHub on this machine (Linux, as root; README "A class on JupyterHub"): hub/classroom.py makes the
# class's Unix users, nbgrader's exchange and the instructor's course folder, then JupyterHub (hub/jupyterhub_config.py)
# serves them on 127.0.0.1:8000. HUB_STUDENTS=a,b,c HUB_INSTRUCTOR=x HUB_EXCHANGE=/srv/nbgrader/exchange HUB_PORT=8000
# HUB_STATE=build/hub choose; `python hub/classroom.py down` removes the class again (users and their homes included).
hub: hub-install
	$(BIN)/python hub/classroom.py up
	$(BIN)/jupyterhub -f hub/jupyterhub_config.py

# The hub extra (jupyterhub, pinned in pyproject.toml) and its proxy (configurable-http-proxy, pinned in
# hub/package-lock.json) without starting anything: what tests/test_hub.py needs.
hub-install: $(INSTRUCTOR_STAMP) $(VENV)/.installed-hub hub/node_modules/.package-lock.json

$(VENV)/.installed-hub: pyproject.toml $(INSTRUCTOR_STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,instructor,hub]"
	@touch $@

hub/node_modules/.package-lock.json: hub/package-lock.json
	npm ci --prefix hub --ignore-scripts --no-audit --no-fund
	@touch $@

slides/node_modules/.package-lock.json: slides/package-lock.json
	npm ci --prefix slides --ignore-scripts --no-audit --no-fund
	@touch $@

# The website: every lesson (stored outputs, widgets as players), the exercises, the library's reference and the
# questions page, as static HTML in build/site/ that needs no network to view (site/build.py: Sphinx + MyST-NB,
# Furo). Sphinx 9 needs Python >= 3.11; the site extra (pyproject.toml) is added to .venv; MathJax comes from the
# npm registry, pinned in site/package-lock.json.
SITE_STAMP := $(VENV)/.installed-site
$(SITE_STAMP): pyproject.toml
	@py=$(BIN)/python; test -x $$py || py=$(PYTHON); \
	$$py -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "make site: Sphinx 9 needs Python 3.11 or newer; $$py is $$($$py --version 2>&1)."; \
		echo "Pick a newer interpreter:  make clean && make site PYTHON=python3.11"; exit 1; }
	@$(MAKE) --no-print-directory $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,site]"
	@touch $(SITE_STAMP)

site: $(SITE_STAMP) site/node_modules/.package-lock.json
	$(BIN)/python site/build.py

site/node_modules/.package-lock.json: site/package-lock.json
	npm ci --prefix site --ignore-scripts --no-audit --no-fund
	@touch $@

clean:
	rm -rf $(VENV) *.egg-info build slides/node_modules site/node_modules hub/node_modules
