#ifndef SESSION_MOCK_CGNUTLS_H
#define SESSION_MOCK_CGNUTLS_H
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#endif
