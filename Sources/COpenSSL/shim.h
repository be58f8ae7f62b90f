// The low-level SHA-256 context is deprecated in OpenSSL 3 but is the fastest way to reuse
// precomputed HMAC pad states (a plain struct copy); keep its declarations warning-free.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
