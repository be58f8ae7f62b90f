// libsodium, for Ed25519 verification on the enforcement path: one call, no provider set-up.
#include <sodium.h>
