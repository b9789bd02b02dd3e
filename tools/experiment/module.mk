# tools/experiment: the experiment tools (generator, tracking, runs, reproduce, slurm).
EXP_COMMON := tools/experiment/spec.c tools/experiment/plan.c
PROGRAMS += llmake-experiment llmake-track llmake-runs llmake-reproduce llmake-slurm
llmake-experiment_SRCS := tools/experiment/experiment.c tools/experiment/report.c $(EXP_COMMON)
llmake-track_SRCS := tools/experiment/track_main.c
llmake-runs_SRCS := tools/experiment/runs.c $(EXP_COMMON)
llmake-reproduce_SRCS := tools/experiment/reproduce.c $(EXP_COMMON)
llmake-slurm_SRCS := tools/experiment/slurm.c $(EXP_COMMON)
