// SPDX-License-Identifier: Apache-2.0
/*
 * tls.c - reads the TLS certificate and key named in the configuration and
 * checks them with OpenSSL (readable, PEM, key matches certificate).  The
 * HTTP server itself (libmicrohttpd, built on GnuTLS in Debian) then gets
 * the PEM text from memory.
 */
#include "fl-common.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "alloc.h"
#include "buf.h"
#include "server/tls.h"

static int read_file(const char *what, const char *path, char **out, struct fl_error *err)
{
	FILE *f = fopen(path, "rb");
	struct fl_buf b = FL_BUF_INIT(FL_TLS_MAX_PEM);
	char chunk[4096];
	size_t n;
	int rc = FL_OK;

	*out = NULL;
	if (!f)
		return fl_error_set(err, FL_EIO, "cannot read TLS %s '%s': %s", what, path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fl_buf_add(&b, chunk, n);
	if (ferror(f))
		rc = fl_error_set(err, FL_EIO, "cannot read TLS %s '%s': %s", what, path, strerror(errno));
	else if (fl_buf_failed(&b))
		rc = fl_error_set(err, FL_EIO, "cannot read TLS %s '%s': larger than %d bytes", what, path,
				  FL_TLS_MAX_PEM);
	else if (b.len == 0)
		rc = fl_error_set(err, FL_EIO, "cannot read TLS %s '%s': the file is empty", what, path);
	fclose(f);
	if (rc == FL_OK)
		*out = fl_xmemdup0(b.ptr, b.len);
	if (b.cap)
		memset(b.ptr, 0, b.cap);
	fl_buf_release(&b);
	return rc;
}

void fl_tls_free_pem(char *pem)
{
	if (!pem)
		return;
	memset(pem, 0, strlen(pem));
	free(pem);
}

int fl_tls_load(const char *cert_path, const char *key_path, char **cert_pem, char **key_pem, struct fl_error *err)
{
	BIO *cb = NULL, *kb = NULL;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	char *c = NULL, *k = NULL;
	int rc;

	*cert_pem = *key_pem = NULL;
	rc = read_file("certificate", cert_path, &c, err);
	if (rc)
		goto done;
	rc = read_file("key", key_path, &k, err);
	if (rc)
		goto done;
	cb = BIO_new_mem_buf(c, -1);
	kb = BIO_new_mem_buf(k, -1);
	if (!cb || !kb) {
		rc = fl_error_set_oom(err);
		goto done;
	}
	cert = PEM_read_bio_X509(cb, NULL, NULL, NULL);
	if (!cert) {
		rc = fl_error_set(err, FL_EINVALID, "cannot read TLS certificate '%s': not a PEM certificate", cert_path);
		goto done;
	}
	key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
	if (!key) {
		rc = fl_error_set(err, FL_EINVALID, "cannot read TLS key '%s': not an unencrypted PEM private key",
				  key_path);
		goto done;
	}
	if (X509_check_private_key(cert, key) != 1) {
		rc = fl_error_set(err, FL_EINVALID, "TLS key '%s' does not match certificate '%s'", key_path, cert_path);
		goto done;
	}
	*cert_pem = c;
	*key_pem = k;
	c = k = NULL;
done:
	ERR_clear_error();
	X509_free(cert);
	EVP_PKEY_free(key);
	BIO_free(cb);
	BIO_free(kb);
	free(c);
	fl_tls_free_pem(k);
	return rc;
}
