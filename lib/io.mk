LIB_LIBS += -ldeflate
