# lib/ngram.mk: ngram.c (text normalisation) needs ICU for case mapping, NFD
# and Unicode categories; the decontamination reader needs libbz2.
LIB_LIBS += -licuuc -lbz2
