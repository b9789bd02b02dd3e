PROGRAMS += llmake
llmake_SRCS := $(wildcard tools/llmake/*.c)
