# The two commands a new machine needs: `make demo` and `make test`. Both build .venv first if it is missing.
PY      := .venv/bin/python
VENV_OK := .venv/.installed
# Small-model work busy-waits badly when cores are shared; keep thread pools polite and explicit.
export OMP_WAIT_POLICY ?= PASSIVE
export TOKENIZERS_PARALLELISM ?= false
export HF_HUB_OFFLINE ?= 1

.PHONY: setup demo test bench lint clean

setup: $(VENV_OK)

$(VENV_OK): pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	# exact pin: a CPU wheel of this version lies on the dev machines; an unpinned torch pulls a CUDA build
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(VENV_OK)

# two single-threaded node processes: the tiny model's ops are too small to split over threads, not over nodes
demo: $(VENV_OK)
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} $(PY) -m valueshift.demo --out runs/demo --jobs $${DEMO_JOBS:-2}

test: $(VENV_OK)
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-2} $(PY) -m pytest -q

# the peers (lm-eval; traker comes with dev) are bench-only dependencies; results land in bench/results/latest.*
bench: $(VENV_OK)
	$(PY) -m pip install --quiet -e '.[bench]'
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-2} $(PY) -m bench --out bench/results

lint: $(VENV_OK)
	.venv/bin/ruff check src tests bench
	.venv/bin/ruff format --check src tests bench
	.venv/bin/mypy

clean:
	rm -rf runs .pytest_cache build *.egg-info src/*.egg-info
