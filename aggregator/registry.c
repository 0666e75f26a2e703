#include "registry.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_err.h"
#include "pd_file.h"

#define REGISTRY_FILE_MAX (16u << 20)
#define REGISTRY_NAME_MAX 64

struct reg_entry {
	char sensor[REGISTRY_NAME_MAX + 1], site[REGISTRY_NAME_MAX + 1];
};

struct registry {
	pthread_rwlock_t lock;
	char *path;
	struct reg_entry *e;
	size_t n;
};

static int reg_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > REGISTRY_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int reg_cmp(const void *a, const void *b)
{
	const struct reg_entry *x = a, *y = b;
	int c = strcmp(x->sensor, y->sensor);
	return c ? c : strcmp(x->site, y->site);
}

/* Parses the file into a sorted array. */
static int reg_parse(const char *path, struct reg_entry **out, size_t *count, char *err,
                     size_t errlen)
{
	char *text;
	size_t len;
	int rc = pd_file_read("registry", path, REGISTRY_FILE_MAX, 0, &text, &len, err, errlen);
	if (rc < 0)
		return rc;
	size_t cap = 64, n = 0;
	struct reg_entry *e = malloc(cap * sizeof(*e));
	int lineno = 0;
	for (char *line = text, *next; line && *line && rc == 0; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char *f[3];
		int nf = 0;
		for (char *tok = strtok(line, " \t\r"); tok; tok = strtok(NULL, " \t\r"))
			f[nf < 3 ? nf++ : 2] = tok;
		if (nf == 0)
			continue;
		if (nf != 2 || !reg_name_ok(f[0], strlen(f[0])) || !reg_name_ok(f[1], strlen(f[1]))) {
			snprintf(err, errlen, "registry %s:%d: expected 'SENSOR_ID SITE' "
			         "([A-Za-z0-9._-], 1..64 characters each)", path, lineno);
			rc = PD_ECONFIG;
			break;
		}
		if (n == cap) {
			struct reg_entry *ne = e ? realloc(e, cap * 2 * sizeof(*e)) : NULL;
			if (!ne) {
				rc = -12;
				break;
			}
			e = ne;
			cap *= 2;
		}
		if (!e) {
			rc = -12;
			break;
		}
		strcpy(e[n].sensor, f[0]);
		strcpy(e[n].site, f[1]);
		n++;
	}
	free(text);
	if (rc < 0) {
		free(e);
		return rc;
	}
	qsort(e, n, sizeof(*e), reg_cmp);
	*out = e;
	*count = n;
	return 0;
}

int registry_load(struct registry **out, const char *path, char *err, size_t errlen)
{
	struct registry *r = calloc(1, sizeof(*r));
	if (!r || !(r->path = strdup(path))) {
		free(r);
		return -12;
	}
	pthread_rwlock_init(&r->lock, NULL);
	int rc = reg_parse(path, &r->e, &r->n, err, errlen);
	if (rc < 0) {
		registry_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int registry_reload(struct registry *r, char *err, size_t errlen)
{
	struct reg_entry *e;
	size_t n;
	int rc = reg_parse(r->path, &e, &n, err, errlen);
	if (rc < 0)
		return rc;
	pthread_rwlock_wrlock(&r->lock);
	free(r->e);
	r->e = e;
	r->n = n;
	pthread_rwlock_unlock(&r->lock);
	return 0;
}

void registry_free(struct registry *r)
{
	if (!r)
		return;
	pthread_rwlock_destroy(&r->lock);
	free(r->e);
	free(r->path);
	free(r);
}

int registry_allows(struct registry *r, const char *sensor_id, const char *site)
{
	if (!r)
		return 1;
	/* Longer names are never listed; copied truncated, they would match
	 * a listed name they merely start with. */
	if (strlen(sensor_id) > REGISTRY_NAME_MAX || strlen(site) > REGISTRY_NAME_MAX)
		return 0;
	struct reg_entry key;
	snprintf(key.sensor, sizeof(key.sensor), "%s", sensor_id);
	snprintf(key.site, sizeof(key.site), "%s", site);
	pthread_rwlock_rdlock(&r->lock);
	int found = bsearch(&key, r->e, r->n, sizeof(key), reg_cmp) != NULL;
	pthread_rwlock_unlock(&r->lock);
	return found;
}

void registry_each(struct registry *r, void (*fn)(void *ctx, const char *sensor_id,
                                                  const char *site), void *ctx)
{
	if (!r)
		return;
	pthread_rwlock_rdlock(&r->lock);
	for (size_t i = 0; i < r->n; i++)
		fn(ctx, r->e[i].sensor, r->e[i].site);
	pthread_rwlock_unlock(&r->lock);
}

size_t registry_count(struct registry *r)
{
	if (!r)
		return 0;
	pthread_rwlock_rdlock(&r->lock);
	size_t n = r->n;
	pthread_rwlock_unlock(&r->lock);
	return n;
}
