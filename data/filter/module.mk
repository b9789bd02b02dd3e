# llmake-filter: the FineWeb-style filter chain (data/filter/).
PROGRAMS += llmake-filter
llmake-filter_SRCS := $(wildcard data/filter/*.c)
llmake-filter_LIBS :=
