#include "migrate.h"

#include <stdio.h>
#include <stdlib.h>

#include "index.h"
#include "pd_err.h"
#include "pd_log.h"
#include "record.h"

#define MIGRATE_BATCH 10000

static int migrate_1_to_2(struct store *st, char *err, size_t errlen)
{
	uint8_t name[255];
	uint8_t *scratch = malloc(INDEX_KEY_MAX);
	struct store_batch *b = store_batch_new();
	struct store_iter *it = store_iter_new(st, NULL, STORE_SCAN);
	if (!scratch || !b || !it) {
		free(scratch);
		store_batch_free(b);
		store_iter_free(it);
		snprintf(err, errlen, "migrate: out of memory");
		return -12;
	}
	const uint8_t first[1] = { REC_RRSET };
	uint64_t n = 0;
	int rc = 0, pending = 0;
	for (store_iter_seek(it, first, 1); store_iter_valid(it) && rc == 0; store_iter_next(it)) {
		size_t kl;
		const uint8_t *k = store_iter_key(it, &kl);
		if (k[0] != REC_RRSET)
			break;
		struct pd_obs o;
		if (rec_key_parse(k, kl, &o, name) < 0)
			continue;
		pending += index_add(b, &o, scratch);
		n++;
		if (pending >= MIGRATE_BATCH) {
			rc = store_write(st, b, 0, err, errlen);
			store_batch_clear(b);
			pending = 0;
		}
	}
	if (rc == 0)
		rc = store_iter_status(it, err, errlen);
	store_iter_free(it);
	if (rc == 0)
		rc = store_write(st, b, 0, err, errlen);
	store_batch_free(b);
	free(scratch);
	if (rc == 0)
		log_info("migrate: indexed %llu tuples", (unsigned long long)n);
	return rc;
}

int migrate_store(struct store *st, const char *dir, char *err, size_t errlen)
{
	int v = store_version(st);
	if (v == STORE_FORMAT_VERSION)
		return 0;
	log_info("migrate: %s is in store format %d; bringing it to format %d (this runs once)",
	         dir, v, STORE_FORMAT_VERSION);
	int rc = 0;
	if (v == 1)
		rc = migrate_1_to_2(st, err, errlen);
	if (rc == 0)
		rc = store_set_version(st, STORE_FORMAT_VERSION, err, errlen);
	return rc;
}
