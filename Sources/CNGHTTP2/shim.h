#ifndef SESSION_MOCK_NGHTTP2_SHIM_H
#define SESSION_MOCK_NGHTTP2_SHIM_H

#include <nghttp2/nghttp2.h>

#endif
