#include "sites.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_err.h"
#include "pd_wire.h"
#include "record.h"

struct sites {
	pthread_rwlock_t lock;
	char (*names)[SITE_NAME_MAX + 1]; /* index = id - 1 */
	uint32_t n, committed;
};

static const char site_prefix[] = "site/";
static const char sid_prefix[] = "sid/";

/* Reads the table from the store into s (not yet shared). */
static int sites_read(struct sites *s, struct store *st, char *err, size_t errlen)
{
	memset(s->names, 0, SITES_MAX * sizeof(*s->names));
	s->n = 0;
	uint8_t prefix[8] = { REC_META };
	memcpy(prefix + 1, sid_prefix, 4);
	struct store_iter *it = store_iter_new(st, NULL, STORE_SCAN);
	if (!it) {
		snprintf(err, errlen, "store: closed");
		return PD_ESTORE;
	}
	for (store_iter_seek(it, prefix, 5); store_iter_valid(it); store_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *k = store_iter_key(it, &kl);
		const uint8_t *v = store_iter_value(it, &vl);
		if (kl != 9 || memcmp(k, prefix, 5) != 0)
			break;
		uint32_t id = pd_be32(k + 5);
		if (id == 0 || id > SITES_MAX || vl == 0 || vl > SITE_NAME_MAX) {
			snprintf(err, errlen, "store: corrupt site table entry %u", id);
			store_iter_free(it);
			return PD_ESTORE;
		}
		memcpy(s->names[id - 1], v, vl);
		if (id > s->n)
			s->n = id;
	}
	int rc = store_iter_status(it, err, errlen);
	store_iter_free(it);
	s->committed = s->n;
	return rc;
}

int sites_load(struct sites **out, struct store *st, char *err, size_t errlen)
{
	struct sites *s = calloc(1, sizeof(*s));
	if (!s || !(s->names = calloc(SITES_MAX, sizeof(*s->names)))) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return -12;
	}
	pthread_rwlock_init(&s->lock, NULL);
	int rc = sites_read(s, st, err, errlen);
	if (rc < 0) {
		sites_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int sites_reload(struct sites *s, struct store *st, char *err, size_t errlen)
{
	/* Read into a new table and swap it in only when complete: a half-read
	 * table would hand out ids the store already gives to other sites. */
	struct sites *fresh;
	int rc = sites_load(&fresh, st, err, errlen);
	if (rc < 0)
		return rc;
	pthread_rwlock_wrlock(&s->lock);
	char (*old)[SITE_NAME_MAX + 1] = s->names;
	s->names = fresh->names;
	s->n = fresh->n;
	s->committed = fresh->committed;
	fresh->names = old;
	pthread_rwlock_unlock(&s->lock);
	sites_free(fresh);
	return 0;
}

void sites_free(struct sites *s)
{
	if (!s)
		return;
	pthread_rwlock_destroy(&s->lock);
	free(s->names);
	free(s);
}

int sites_lookup(struct sites *s, const char *name, uint32_t *id)
{
	int found = 0;
	pthread_rwlock_rdlock(&s->lock);
	for (uint32_t i = 0; i < s->n && !found; i++) {
		if (strcmp(s->names[i], name) == 0) {
			*id = i + 1;
			found = 1;
		}
	}
	pthread_rwlock_unlock(&s->lock);
	return found;
}

int sites_assign(struct sites *s, const char *name, uint32_t *id, struct store_batch *b)
{
	size_t nl = strlen(name);
	if (nl == 0 || nl > SITE_NAME_MAX)
		return PD_EMALF;
	pthread_rwlock_wrlock(&s->lock);
	if (s->n == SITES_MAX) {
		pthread_rwlock_unlock(&s->lock);
		return PD_ELIMIT;
	}
	*id = ++s->n;
	memcpy(s->names[*id - 1], name, nl + 1);
	pthread_rwlock_unlock(&s->lock);

	uint8_t k1[1 + 5 + SITE_NAME_MAX], k2[9], v1[4];
	k1[0] = REC_META;
	memcpy(k1 + 1, site_prefix, 5);
	memcpy(k1 + 6, name, nl);
	pd_put_be32(v1, *id);
	k2[0] = REC_META;
	memcpy(k2 + 1, sid_prefix, 4);
	pd_put_be32(k2 + 5, *id);
	store_batch_put(b, k1, 6 + nl, v1, 4);
	store_batch_put(b, k2, 9, (const uint8_t *)name, nl);
	return 0;
}

void sites_commit(struct sites *s)
{
	pthread_rwlock_wrlock(&s->lock);
	s->committed = s->n;
	pthread_rwlock_unlock(&s->lock);
}

void sites_rollback(struct sites *s)
{
	pthread_rwlock_wrlock(&s->lock);
	for (uint32_t i = s->committed; i < s->n; i++)
		s->names[i][0] = 0;
	s->n = s->committed;
	pthread_rwlock_unlock(&s->lock);
}

int sites_name(struct sites *s, uint32_t id, char *out)
{
	int rc = PD_ENOTFOUND;
	pthread_rwlock_rdlock(&s->lock);
	if (id >= 1 && id <= s->committed) {
		memcpy(out, s->names[id - 1], SITE_NAME_MAX + 1);
		rc = 0;
	}
	pthread_rwlock_unlock(&s->lock);
	return rc;
}

uint32_t sites_count(struct sites *s)
{
	pthread_rwlock_rdlock(&s->lock);
	uint32_t n = s->committed;
	pthread_rwlock_unlock(&s->lock);
	return n;
}
