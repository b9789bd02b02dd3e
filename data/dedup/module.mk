# data/dedup: llmake-dedup (exact, MinHash-LSH near-duplicate removal, decontamination)
PROGRAMS += llmake-dedup
llmake-dedup_SRCS := $(wildcard data/dedup/*.c)
