// The low-level SHA-256 and SHA-1 contexts are deprecated in OpenSSL 3, but they reuse precomputed
// HMAC pad states with a plain struct copy and never touch OpenSSL 3's provider tables (whose set-up
// cost more than the rest of a short command); keep their declarations warning-free.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
