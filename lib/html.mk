# lib/html.c parses HTML with libxml2 (Debian libxml2-dev).
CPPFLAGS += $(shell pkg-config --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)
LIB_LIBS += $(shell pkg-config --libs libxml-2.0 2>/dev/null || echo -lxml2)
