# train/: llmake-train, the CPU trainer (model library in lib/model.c etc.).
PROGRAMS += llmake-train
llmake-train_SRCS := $(wildcard train/*.c)
