# infer/: llmake-generate, text generation from a checkpoint (lib/generate.c, lib/sample.c).
PROGRAMS += llmake-generate
llmake-generate_SRCS := $(wildcard infer/*.c)
