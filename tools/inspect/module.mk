PROGRAMS += llmake-inspect
llmake-inspect_SRCS := $(wildcard tools/inspect/*.c)
