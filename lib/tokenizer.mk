LIB_LIBS += -lpcre2-8 -lutf8proc
UNIT_LIBS += -lpcre2-8 -lutf8proc
