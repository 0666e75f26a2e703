#include "cofio.h"

#include <errno.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "pd_dns.h"
#include "pd_err.h"
#include "pd_json.h"
#include "pd_log.h"
#include "pd_rr.h"
#include "pd_rr_parse.h"
#include "record.h"

#define IMPORT_GROUP_OBS 50000
#define IMPORT_TOKS 4096
#define IMPORT_LINE_MAX (4u << 20)

struct import {
	struct store *store;
	struct sites *sites;
	struct merge *merge;
	const char *default_site;
	struct cofio_stats *cs;
	struct pd_json_tok *toks;
	uint8_t *rdata;
	char *text;
	uint8_t marker_key[80];
	size_t marker_len;
	uint64_t skip_reasons[4];
};

enum { SKIP_JSON, SKIP_TUPLE, SKIP_FIGURES, SKIP_RDATA };
static const char *const skip_names[] = { "not a JSON object", "no usable rrname/rrtype",
	"no usable count or times", "rdata not understood" };

/* SHA-256 of the file names it in the store's import log. */
static int import_digest(const char *path, uint8_t digest[32], char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "import: %s: %s", path, strerror(errno));
		return -errno;
	}
	mbedtls_sha256_context sha;
	mbedtls_sha256_init(&sha);
	mbedtls_sha256_starts_ret(&sha, 0);
	uint8_t buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		mbedtls_sha256_update_ret(&sha, buf, n);
	int bad = ferror(f);
	fclose(f);
	mbedtls_sha256_finish_ret(&sha, digest);
	mbedtls_sha256_free(&sha);
	if (bad) {
		snprintf(err, errlen, "import: cannot read %s", path);
		return -5;
	}
	return 0;
}

/* Reads how far an earlier import of this file got: the byte offset to
 * resume at, or -1 when it finished. */
static long long import_progress(struct import *im)
{
	struct pd_buf v;
	pd_buf_init(&v, 128);
	long long off = 0;
	if (store_get(im->store, NULL, im->marker_key, im->marker_len, &v) == 1) {
		const char *t = pd_buf_cstr(&v);
		off = strncmp(t, "done", 4) == 0 ? -1 : strtoll(t, NULL, 10);
	}
	pd_buf_fini(&v);
	return off;
}

static int import_figures(const char *s, const struct pd_json_tok *t, int n, int obj,
                          uint64_t *count, int64_t *first, int64_t *last)
{
	int c = pd_json_get(s, t, n, obj, "count");
	int f = pd_json_get(s, t, n, obj, "time_first");
	int l = pd_json_get(s, t, n, obj, "time_last");
	if (f < 0)
		f = pd_json_get(s, t, n, obj, "zone_time_first");
	if (l < 0)
		l = pd_json_get(s, t, n, obj, "zone_time_last");
	*count = 1;
	if ((c >= 0 && pd_json_u64(s, &t[c], count) < 0) || *count == 0 || f < 0 || l < 0 ||
	    pd_json_i64(s, &t[f], first) < 0 || pd_json_i64(s, &t[l], last) < 0 || *first > *last)
		return PD_EMALF;
	return 0;
}

static int import_site_id(struct import *im, const char *name, uint32_t *id)
{
	if (sites_lookup(im->sites, name, id))
		return 0;
	return sites_assign(im->sites, name, id, merge_batch(im->merge));
}

/* Merges one tuple's figures: per site when the line has "sites". */
static int import_tuple(struct import *im, const char *s, const struct pd_json_tok *t, int n,
                        int obj, struct pd_obs *o)
{
	int sites = pd_json_get(s, t, n, obj, "sites");
	uint32_t id;
	int rc;
	if (sites < 0 || t[sites].type != PD_JSON_OBJECT || t[sites].size == 0) {
		if ((rc = import_site_id(im, im->default_site, &id)) < 0)
			return rc;
		return merge_obs(im->merge, o, id);
	}
	for (int k = pd_json_child(t, n, sites); k >= 0; k = pd_json_next(t, n, k + 1)) {
		char name[SITE_NAME_MAX + 1];
		struct pd_obs so = *o;
		if (pd_json_str(s, &t[k], name, sizeof(name)) < 0 || !name[0] ||
		    import_figures(s, t, n, k + 1, &so.count, &so.first_s, &so.last_s) < 0)
			return PD_EMALF;
		if ((rc = import_site_id(im, name, &id)) < 0 ||
		    (rc = merge_obs(im->merge, &so, id)) < 0)
			return rc;
	}
	return 0;
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	     : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* rdata from our own "rdata_raw" (exact) or from its presentation. */
static int import_rdata(struct import *im, const char *s, const struct pd_json_tok *t, int n,
                        int obj, int rd, uint16_t type)
{
	int raw = pd_json_get(s, t, n, obj, "rdata_raw");
	if (raw >= 0 && t[rd].type == PD_JSON_STRING && t[raw].type == PD_JSON_STRING) {
		size_t hl = t[raw].end - t[raw].start;
		const char *h = s + t[raw].start;
		if (hl % 2 || hl / 2 > PD_RR_CANON_MAX)
			return PD_EMALF;
		for (size_t i = 0; i < hl / 2; i++) {
			int a = hexval(h[2 * i]), b = hexval(h[2 * i + 1]);
			if (a < 0 || b < 0)
				return PD_EMALF;
			im->rdata[i] = (uint8_t)(a << 4 | b);
		}
		return (int)(hl / 2);
	}
	int len = pd_json_str(s, &t[rd], im->text, IMPORT_LINE_MAX);
	if (len < 0)
		return len;
	return pd_rr_parse(type, im->text, (size_t)len, im->rdata, PD_RR_CANON_MAX);
}

/* One line: a COF object, a DNSDB SAF {"obj":{...}} or {"cond":...} line. */
static int import_line(struct import *im, const char *s, size_t len)
{
	struct pd_json_tok *t = im->toks;
	int n = pd_json_parse(s, len, t, IMPORT_TOKS, 16);
	if (n <= 0 || t[0].type != PD_JSON_OBJECT)
		return SKIP_JSON;
	int obj = 0, inner = pd_json_get(s, t, n, 0, "obj");
	if (inner >= 0 && t[inner].type == PD_JSON_OBJECT)
		obj = inner;
	else if (pd_json_get(s, t, n, 0, "cond") >= 0)
		return -1; /* SAF framing: nothing to import */
	uint8_t name[PD_DNS_NAME_MAX];
	char text[PD_DNS_TEXT_MAX];
	struct pd_obs o;
	memset(&o, 0, sizeof(o));
	int rn = pd_json_get(s, t, n, obj, "rrname"), rt = pd_json_get(s, t, n, obj, "rrtype");
	int tl = rt >= 0 ? pd_json_str(s, &t[rt], text, sizeof(text)) : -1;
	if (tl < 0 || pd_rr_type_from_name(text, (size_t)tl, &o.type) < 0)
		return SKIP_TUPLE;
	int nl = rn >= 0 ? pd_json_str(s, &t[rn], text, sizeof(text)) : -1;
	if (nl < 0 || (nl = pd_dns_name_from_text(text, (size_t)nl, name)) < 0)
		return SKIP_TUPLE;
	o.name = name;
	o.name_len = (size_t)nl;
	if (import_figures(s, t, n, obj, &o.count, &o.first_s, &o.last_s) < 0)
		return SKIP_FIGURES;
	int rc = pd_json_get(s, t, n, obj, "rcode");
	if (rc >= 0 && pd_json_str_eq(s, &t[rc], "NXDOMAIN")) {
		o.flags = PD_OBS_NXDOMAIN;
		return import_tuple(im, s, t, n, obj, &o) < 0 ? SKIP_FIGURES : (im->cs->tuples++, -1);
	}
	int rd = pd_json_get(s, t, n, obj, "rdata");
	if (rd < 0)
		return SKIP_RDATA;
	/* One string, or DNSDB's array of an RRset's values. */
	int first = t[rd].type == PD_JSON_ARRAY ? pd_json_child(t, n, rd) : rd;
	for (int v = first; v >= 0; v = t[rd].type == PD_JSON_ARRAY ? pd_json_next(t, n, v) : -1) {
		int rl = import_rdata(im, s, t, n, obj, v, o.type);
		if (rl < 0)
			return SKIP_RDATA;
		o.rdata = rl ? im->rdata : NULL;
		o.rdlen = (size_t)rl;
		if (import_tuple(im, s, t, n, obj, &o) < 0)
			return SKIP_FIGURES;
		im->cs->tuples++;
	}
	return -1;
}

static int import_commit(struct import *im, const char *progress, char *err, size_t errlen)
{
	store_batch_put(merge_batch(im->merge), im->marker_key, im->marker_len,
	                (const uint8_t *)progress, strlen(progress));
	int rc = merge_commit(im->merge, 1, err, errlen);
	if (rc < 0)
		sites_rollback(im->sites);
	else
		sites_commit(im->sites);
	merge_begin(im->merge);
	return rc;
}

static int import_file(struct import *im, FILE *f, long long offset, char *err, size_t errlen)
{
	char *line = NULL, progress[64];
	size_t cap = 0;
	ssize_t len;
	int rc = 0;
	if (offset > 0 && fseeko(f, (off_t)offset, SEEK_SET) < 0) {
		snprintf(err, errlen, "import: cannot resume at byte %lld", offset);
		return -5;
	}
	merge_begin(im->merge);
	while (rc == 0 && (len = getline(&line, &cap, f)) > 0) {
		im->cs->lines++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (len == 0)
			continue;
		int skip = (size_t)len > IMPORT_LINE_MAX ? SKIP_JSON : import_line(im, line, (size_t)len);
		if (skip >= 0) {
			im->cs->skipped++;
			im->skip_reasons[skip]++;
		}
		if (merge_count(im->merge) >= IMPORT_GROUP_OBS) {
			snprintf(progress, sizeof(progress), "%lld", (long long)ftello(f));
			rc = import_commit(im, progress, err, errlen);
		}
	}
	free(line);
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "import: read error");
		rc = -5;
	}
	if (rc == 0)
		rc = import_commit(im, "done", err, errlen);
	return rc;
}

int cofio_import(struct store *st, struct sites *sites, const char *path,
                 const char *default_site, struct cofio_stats *cs, char *err, size_t errlen)
{
	uint8_t digest[32];
	int rc = import_digest(path, digest, err, errlen);
	if (rc < 0)
		return rc;
	struct import im = { .store = st, .sites = sites, .default_site = default_site, .cs = cs };
	im.marker_key[0] = REC_META;
	memcpy(im.marker_key + 1, "import/", 7);
	for (int i = 0; i < 32; i++)
		snprintf((char *)im.marker_key + 8 + 2 * i, 3, "%02x", digest[i]);
	im.marker_len = 8 + 64;
	long long offset = import_progress(&im);
	if (offset < 0) {
		log_info("import: %s was imported before; nothing to do", path);
		return 0;
	}
	if (offset > 0)
		log_info("import: resuming %s at byte %lld", path, offset);
	FILE *f = fopen(path, "rb");
	im.merge = merge_new(st, IMPORT_GROUP_OBS + 4096, IMPORT_LINE_MAX * 2, NULL, NULL);
	im.toks = malloc(IMPORT_TOKS * sizeof(*im.toks));
	im.rdata = malloc(PD_RR_CANON_MAX);
	im.text = malloc(IMPORT_LINE_MAX + 1);
	if (!f || !im.merge || !im.toks || !im.rdata || !im.text) {
		snprintf(err, errlen, "import: %s: %s", path, f ? "out of memory" : strerror(errno));
		rc = -12;
	} else {
		rc = import_file(&im, f, offset, err, errlen);
	}
	for (int r = 0; r < 4; r++)
		if (im.skip_reasons[r])
			log_warnx("import: skipped %llu lines: %s", (unsigned long long)im.skip_reasons[r],
			          skip_names[r]);
	if (f)
		fclose(f);
	merge_free(im.merge);
	free(im.toks);
	free(im.rdata);
	free(im.text);
	return rc;
}
