#include "cofio.h"

#include <stdlib.h>
#include <string.h>

#include "pd_buf.h"
#include "cofline.h"
#include "pd_err.h"
#include "record.h"

int cofio_export(struct store *st, struct sites *sites, FILE *f, struct cofio_stats *cs,
                 char *err, size_t errlen)
{
	struct rec_site *site_buf = malloc(REC_SITES_MAX * sizeof(*site_buf));
	struct pd_buf line;
	if (!site_buf)
		return -12;
	uint8_t name[255];
	pd_buf_init(&line, 64u << 20);
	struct store_snap *snap = store_snap_new(st);
	struct store_iter *it = snap ? store_iter_new(st, snap, STORE_SCAN) : NULL;
	if (!it) {
		store_snap_free(st, snap);
		pd_buf_fini(&line);
		free(site_buf);
		snprintf(err, errlen, "export: the store is closed");
		return PD_ESTORE;
	}
	const uint8_t first[1] = { REC_RRSET };
	int rc = 0;
	for (store_iter_seek(it, first, 1); store_iter_valid(it) && rc == 0; store_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *k = store_iter_key(it, &kl), *v = store_iter_value(it, &vl);
		if (k[0] != REC_RRSET && k[0] != REC_NEG)
			break;
		struct pd_obs o;
		struct rec_val rv;
		if (rec_key_parse(k, kl, &o, name) < 0 ||
		    rec_val_decode(v, vl, &rv, site_buf, REC_SITES_MAX) < 0) {
			cs->skipped++;
			continue;
		}
		o.count = rv.count;
		o.first_s = rv.first_s;
		o.last_s = rv.last_s;
		pd_buf_reset(&line);
		rc = cofline_write(&line, &o, &rv, sites, COFLINE_SITES | COFLINE_RAW);
		if (rc == 0 && fwrite(line.data, 1, line.len, f) != line.len)
			rc = -5; /* -EIO */
		cs->tuples++;
	}
	if (rc == 0)
		rc = store_iter_status(it, err, errlen);
	else
		snprintf(err, errlen, "export: %s", pd_strerror(rc));
	store_iter_free(it);
	store_snap_free(st, snap);
	pd_buf_fini(&line);
	free(site_buf);
	if (rc == 0 && fflush(f) != 0) {
		snprintf(err, errlen, "export: cannot write the output");
		rc = -5;
	}
	return rc;
}
