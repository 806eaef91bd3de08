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

/* Typed stack helpers: the sk_<TYPE>_* macros and their function-pointer casts do not import. */
static inline void clibcrypto_sk_X509_EXTENSION_pop_free(STACK_OF(X509_EXTENSION) *s) { sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free); }
static inline STACK_OF(X509) *clibcrypto_sk_X509_new_null(void) { return sk_X509_new_null(); }
static inline int clibcrypto_sk_X509_push(STACK_OF(X509) *s, X509 *x) { return sk_X509_push(s, x); }
static inline void clibcrypto_sk_X509_pop_free(STACK_OF(X509) *s) { sk_X509_pop_free(s, X509_free); }
static inline int clibcrypto_sk_GENERAL_NAME_num(const GENERAL_NAMES *s) { return sk_GENERAL_NAME_num(s); }
static inline GENERAL_NAME *clibcrypto_sk_GENERAL_NAME_value(const GENERAL_NAMES *s, int i) { return sk_GENERAL_NAME_value(s, i); }
static inline int clibcrypto_sk_GENERAL_NAME_push(GENERAL_NAMES *s, GENERAL_NAME *n) { return sk_GENERAL_NAME_push(s, n); }
static inline int clibcrypto_sk_X509_REVOKED_num(const STACK_OF(X509_REVOKED) *s) { return sk_X509_REVOKED_num(s); }
static inline X509_REVOKED *clibcrypto_sk_X509_REVOKED_value(const STACK_OF(X509_REVOKED) *s, int i) { return sk_X509_REVOKED_value(s, i); }
static inline STACK_OF(X509_EXTENSION) *clibcrypto_sk_X509_EXTENSION_new_null(void) { return sk_X509_EXTENSION_new_null(); }
static inline int clibcrypto_sk_X509_EXTENSION_push(STACK_OF(X509_EXTENSION) *s, X509_EXTENSION *e) { return sk_X509_EXTENSION_push(s, e); }
#endif
