# lib/words.c segments text with ICU (Debian libicu-dev).
LIB_LIBS += -licuuc
