# lib/charset.c detects encodings with libuchardet (Debian libuchardet-dev);
# conversion uses glibc's iconv.
LIB_LIBS += -luchardet
