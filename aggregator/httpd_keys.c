#include "httpd_keys.h"

#include <errno.h>
#include <mbedtls/sha256.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_err.h"
#include "pd_file.h"

#define KEY_MIN 16
#define KEY_MAX 256
#define KEYS_FILE_MAX (1u << 20)

struct key_entry {
	uint8_t digest[32];
	char name[HTTPD_KEY_NAME_MAX];
};

struct httpd_keys {
	size_t n;
	struct key_entry e[];
};

static void digest(const char *key, size_t len, uint8_t out[32])
{
	mbedtls_sha256_ret((const unsigned char *)key, len, out, 0);
}

/* Constant time over the 32 bytes. */
static int digest_eq(const uint8_t *a, const uint8_t *b)
{
	unsigned d = 0;
	for (int i = 0; i < 32; i++)
		d |= (unsigned)(a[i] ^ b[i]);
	return d == 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* One line: 0 with *e filled, 1 for nothing (blank, comment), <0 error. */
static int parse_line(const char *l, size_t n, struct key_entry *e, const char **why)
{
	size_t i = 0;
	while (i < n && is_blank(l[i]))
		i++;
	if (i == n || l[i] == '#')
		return 1;
	size_t k = i;
	while (i < n && !is_blank(l[i])) {
		if ((uint8_t)l[i] < 0x21 || (uint8_t)l[i] > 0x7e) {
			*why = "a key must be printable ASCII";
			return PD_ECONFIG;
		}
		i++;
	}
	size_t klen = i - k;
	if (klen < KEY_MIN || klen > KEY_MAX) {
		*why = "a key must be 16 to 256 characters long";
		return PD_ECONFIG;
	}
	digest(l + k, klen, e->digest);
	while (i < n && is_blank(l[i]))
		i++;
	size_t m = i;
	while (m < n && !is_blank(l[m]) && m - i < HTTPD_KEY_NAME_MAX - 1)
		m++;
	for (size_t j = i; j < m; j++)
		e->name[j - i] = ((uint8_t)l[j] < 0x21 || (uint8_t)l[j] > 0x7e) ? '?' : l[j];
	e->name[m - i] = 0;
	return 0;
}

int httpd_keys_parse(struct httpd_keys **out, const char *what, const char *text,
                     size_t len, char *err, size_t errlen)
{
	size_t lines = 1;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	size_t cap = lines < HTTPD_KEYS_MAX ? lines : HTTPD_KEYS_MAX;
	struct httpd_keys *k = calloc(1, sizeof(*k) + cap * sizeof(k->e[0]));
	if (!k) {
		snprintf(err, errlen, "%s: out of memory", what);
		return -ENOMEM;
	}
	size_t pos = 0, lineno = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		const char *why = NULL;
		lineno++;
		int rc = k->n == cap ? PD_ELIMIT : parse_line(text + pos, end - pos, &k->e[k->n], &why);
		pos = end + 1;
		if (rc == 1)
			continue;
		for (size_t j = 0; rc == 0 && j < k->n; j++)
			if (digest_eq(k->e[j].digest, k->e[k->n].digest)) {
				why = "the same key appears twice";
				rc = PD_ECONFIG;
			}
		if (rc < 0) {
			snprintf(err, errlen, "%s:%zu: %s", what, lineno,
			         why ? why : "more than 10000 keys");
			free(k);
			return rc;
		}
		k->n++;
	}
	if (k->n == 0) {
		snprintf(err, errlen, "%s: no key in the file", what);
		free(k);
		return PD_ECONFIG;
	}
	*out = k;
	return 0;
}

int httpd_keys_load(struct httpd_keys **out, const char *path, char *err, size_t errlen)
{
	char *text;
	size_t len;
	int rc = pd_file_read("httpd: API keys", path, KEYS_FILE_MAX, 1, &text, &len, err, errlen);
	if (rc < 0)
		return rc;
	rc = httpd_keys_parse(out, path, text, len, err, errlen);
	pd_file_free_secret(text, len);
	return rc;
}

void httpd_keys_free(struct httpd_keys *k)
{
	free(k);
}

size_t httpd_keys_count(const struct httpd_keys *k)
{
	return k ? k->n : 0;
}

const char *httpd_keys_match(const struct httpd_keys *k, const char *key, size_t len)
{
	if (!k || len < KEY_MIN || len > KEY_MAX)
		return NULL;
	uint8_t d[32];
	digest(key, len, d);
	const char *name = NULL;
	for (size_t i = 0; i < k->n; i++)
		if (digest_eq(d, k->e[i].digest))
			name = k->e[i].name;
	return name;
}
