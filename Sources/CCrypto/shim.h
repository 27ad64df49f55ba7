// OpenSSL's libcrypto: the EVP digest API (SHA-256 of downloaded weights).
#include <openssl/evp.h>
