PROGRAMS += llmake-tokenize
llmake-tokenize_SRCS := $(wildcard data/tokenize/*.c)
