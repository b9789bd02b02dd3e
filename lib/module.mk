# lib/: the library every stage links.  Other modules may add lib/<name>.mk
# with LIB_LIBS += ... for the system libraries their lib/ files need.
LIB_SRCS += $(wildcard lib/*.c)
