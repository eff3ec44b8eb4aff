/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls.h - loading and checking the TLS certificate and key before the
 * server starts, so that a wrong path or a mismatched pair is a clear
 * start-up error rather than a failed handshake later.
 */
#ifndef FL_TLS_H
#define FL_TLS_H

#include "error.h"
#include "fl-common.h"

#define FL_TLS_MAX_PEM (1024 * 1024)

/*
 * Read both PEM files (at most FL_TLS_MAX_PEM bytes each), check with
 * OpenSSL that they hold a certificate and a private key and that the key
 * belongs to the certificate.  On success *cert_pem and *key_pem are
 * malloc'd NUL-terminated copies (caller frees; the key copy is wiped by
 * fl_tls_free_pem).  FL_EIO (unreadable) or FL_EINVALID (not PEM, mismatch)
 * with messages naming the file.
 */
int fl_tls_load(const char *cert_path, const char *key_path, char **cert_pem, char **key_pem, struct fl_error *err);

/* Wipe and free a PEM buffer.  NULL-tolerant. */
void fl_tls_free_pem(char *pem);

#endif
