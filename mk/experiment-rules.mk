# mk/experiment-rules.mk: what every generated experiment fragment
# (OUT/mk/EXP.mk, OUT/mk/sweep-NAME.mk) shares.  Those fragments hold one
# rule per stage key; a rule's target is OUT/cache/STAGE-KEY/stage.json and
# its prerequisites are order-only, so only the existence of key-named
# outputs decides what runs (never file times: a clone or a touch rebuilds
# nothing).  Outputs are made in a temp directory and renamed into place by
# tools/experiment-stage, so a killed make leaves nothing that looks done.
.DELETE_ON_ERROR:
.SUFFIXES:
SHELL := /bin/bash

LLMAKE_STAGE_RUN ?= $(LLMAKE_HOME)/tools/experiment-stage
LLMAKE_EXPERIMENT ?= $(LLMAKE_BIN)/llmake-experiment
LLMAKE_TRACK ?= $(LLMAKE_BIN)/llmake-track
LLMAKE_TRACK_RUN ?= $(LLMAKE_TRACK) --plan
export PATH := $(LLMAKE_BIN):$(PATH)
