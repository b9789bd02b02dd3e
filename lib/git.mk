# lib/git.c uses libgit2 (Debian libgit2-dev).
LIB_LIBS += -lgit2
