LIB_LIBS += -lpcre2-8
UNIT_LIBS += -lpcre2-8
