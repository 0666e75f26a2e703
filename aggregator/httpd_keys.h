/*
 * httpd_keys: the query API's keys file (docs/api.md "Access").
 *
 * One key per line, optionally followed by a name for logs ("KEY name");
 * blank lines and lines whose first non-blank byte is '#' are ignored.
 * A key is 16..256 printable ASCII bytes without blanks; duplicates are an
 * error, as is a file without any key. The file must be mode 0600 or
 * stricter (pd_file_read's secret check).
 *
 * Only SHA-256 digests of the keys are kept, and a lookup compares the
 * digest of the presented key with every entry without an early exit, so
 * its time does not depend on how much of a key matched.
 *
 * A table is immutable once loaded: any number of threads may look up in
 * it concurrently; replacing it is the owner's business (httpd swaps
 * tables under a lock).
 */
#ifndef AGG_HTTPD_KEYS_H
#define AGG_HTTPD_KEYS_H

#include <stddef.h>

#define HTTPD_KEYS_MAX 10000
#define HTTPD_KEY_NAME_MAX 64 /* bytes, NUL included; longer names are cut */

struct httpd_keys;

/* Returns 0, or a negative code with "file:line: problem" in err. */
int httpd_keys_load(struct httpd_keys **out, const char *path, char *err, size_t errlen);
/* Same, from text in memory (for tests); what names it in messages. */
int httpd_keys_parse(struct httpd_keys **out, const char *what, const char *text,
                     size_t len, char *err, size_t errlen);
void httpd_keys_free(struct httpd_keys *k);
size_t httpd_keys_count(const struct httpd_keys *k);

/* The name of the key equal to key[0..len) ("" when it has none), or NULL
 * when no key matches. */
const char *httpd_keys_match(const struct httpd_keys *k, const char *key, size_t len);

#endif
