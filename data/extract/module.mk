PROGRAMS += llmake-extract
llmake-extract_SRCS := $(wildcard data/extract/*.c)
