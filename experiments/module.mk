# experiments/module.mk: the experiment targets.  Specs are
# experiments/NAME.json, sweeps experiments/sweeps/NAME.json, the stage table
# experiments/stages.json; outputs go to $(LLMAKE_OUT) (default out/).
# `make experiment` itself is the top Makefile's (it calls tools/main-job).
LLMAKE_OUT ?= out
EXP_TOOL = $(BIN)/llmake-experiment --out $(LLMAKE_OUT)

.PHONY: status sweep report experiment-plan

status: all ## which stages of EXP (default: default) are up to date, which are stale and why
	@$(EXP_TOOL) status $(or $(EXP),default)

sweep: all ## run every variant of experiments/sweeps/SWEEP.json, sharing what they share (-j2 runs two at once)
	@test -n "$(SWEEP)" || { echo "usage error: make sweep SWEEP=NAME (a file experiments/sweeps/NAME.json)" >&2; exit 2; }
	@frag=$$($(EXP_TOOL) sweep $(SWEEP)) && \
	  $(MAKE) --no-print-directory -f $$frag LLMAKE_BIN=$(abspath $(BIN)) && \
	  $(EXP_TOOL) report $(SWEEP)

report: all ## write out/reports/SWEEP.html: loss curves, eval table with standard errors, config differences
	@test -n "$(SWEEP)" || { echo "usage error: make report SWEEP=NAME" >&2; exit 2; }
	@$(EXP_TOOL) report $(SWEEP)
