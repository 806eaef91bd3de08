#ifndef CLIBCRYPTO_SHIM_H
#define CLIBCRYPTO_SHIM_H
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <openssl/rsa.h>
#include <openssl/ec.h>
#include <openssl/bn.h>
#include <openssl/asn1.h>

/* Macros and variadic helpers Swift cannot import, as typed inline functions. */
static inline void clibcrypto_free(void *p) { OPENSSL_free(p); }
static inline long clibcrypto_bio_reset(BIO *bio) { return BIO_reset(bio); }
static inline long clibcrypto_bio_get_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }
static inline EVP_PKEY *clibcrypto_ec_gen(const char *curve) { return EVP_EC_gen(curve); }
static inline EVP_PKEY *clibcrypto_rsa_gen(unsigned int bits) { return EVP_RSA_gen(bits); }
#endif
