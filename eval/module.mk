# eval/: llmake-eval (scoring engine in lib/eval_score.c, tasks in lib/eval_task.c,
# task declarations in eval/tasks/*.json).
PROGRAMS += llmake-eval
llmake-eval_SRCS := $(wildcard eval/*.c)
