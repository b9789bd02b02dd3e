PROGRAMS += llmake-convert
llmake-convert_SRCS := $(wildcard data/convert/*.c)
