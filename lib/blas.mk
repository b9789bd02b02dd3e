# lib/blas.mk: the model library's matrix products run on OpenBLAS (Debian libopenblas-dev).
LIB_LIBS += -lopenblas
