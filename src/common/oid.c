/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oid.c - ObjectId-shaped identifiers.
 */
#include "fl-common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/random.h>

#include "hex.h"
#include "oid.h"

static pthread_once_t oid_once = PTHREAD_ONCE_INIT;
static unsigned char oid_rand[5];
static atomic_uint oid_counter;

static void oid_init(void)
{
	unsigned char seed[8] = { 0 };
	if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
		uint64_t t = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&seed;
		memcpy(seed, &t, sizeof(seed));
	}
	memcpy(oid_rand, seed, sizeof(oid_rand));
	atomic_store(&oid_counter, (unsigned)seed[5] << 16 | (unsigned)seed[6] << 8 | seed[7]);
}

void fl_oid_new(char out[FL_OID_LEN + 1])
{
	unsigned char b[12];
	uint32_t secs;
	unsigned c;

	pthread_once(&oid_once, oid_init);
	secs = (uint32_t)time(NULL);
	c = atomic_fetch_add(&oid_counter, 1) & 0xffffff;
	b[0] = (unsigned char)(secs >> 24);
	b[1] = (unsigned char)(secs >> 16);
	b[2] = (unsigned char)(secs >> 8);
	b[3] = (unsigned char)secs;
	memcpy(b + 4, oid_rand, 5);
	b[9] = (unsigned char)(c >> 16);
	b[10] = (unsigned char)(c >> 8);
	b[11] = (unsigned char)c;
	for (int i = 0; i < 12; i++)
		fl_hex_byte(out + 2 * i, b[i], false);
	out[FL_OID_LEN] = '\0';
}

bool fl_oid_valid(const char *s, size_t len)
{
	if (len != FL_OID_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (fl_hex_val((unsigned char)s[i]) < 0)
			return false;
	}
	return true;
}
