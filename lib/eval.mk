# lib/eval.mk: llmake-eval's task reader decompresses HellaSwag's .bz2 (Debian libbz2-dev).
LIB_LIBS += -lbz2
