# lib/words.c: ICU word boundaries (Debian libicu-dev) and PCRE2 (libpcre2-dev).
LIB_LIBS += -licuuc -lpcre2-8
