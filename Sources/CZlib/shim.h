#ifndef SESSION_MOCK_CZLIB_H
#define SESSION_MOCK_CZLIB_H
#include <zlib.h>
#endif
