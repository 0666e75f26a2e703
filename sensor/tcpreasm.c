#include "tcpreasm.h"

#include <stdlib.h>
#include <string.h>

#include "flowtab.h"
#include "pd_wire.h"

#define TR_MSG_MAX (2u + 65535u)
#define TR_OOO_MAX (256u * 1024u) /* out-of-order bytes per stream */

struct ooo_seg {
	struct ooo_seg *next;
	uint32_t seq, len;
	uint8_t data[];
};

struct tstream {
	uint32_t next_seq;
	uint8_t have_seq, fin;
	int64_t last_s;
	uint8_t *buf;       /* a partial message waiting for more bytes */
	uint32_t len, cap;
	struct ooo_seg *ooo; /* sorted by sequence number */
	uint32_t ooo_bytes;
};

struct tcpreasm {
	struct flowtab *tab;
	size_t bytes, max_bytes;
	unsigned timeout_s;
	struct sensor_stats *st;
	tcpreasm_msg_fn fn;
	void *ctx;
};

struct tcpreasm *tcpreasm_new(unsigned max_streams, size_t max_bytes, unsigned timeout_s,
                              uint64_t seed, struct sensor_stats *st,
                              tcpreasm_msg_fn fn, void *ctx)
{
	struct tcpreasm *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->tab = flowtab_new(max_streams, sizeof(struct tcp_key), sizeof(struct tstream), seed);
	if (!r->tab) {
		free(r);
		return NULL;
	}
	r->max_bytes = max_bytes;
	r->timeout_s = timeout_s;
	r->st = st;
	r->fn = fn;
	r->ctx = ctx;
	return r;
}

static int tr_has_data(const struct tstream *s)
{
	return s->len > 0 || s->ooo != NULL;
}

static void tr_clear(struct tcpreasm *r, struct tstream *s)
{
	while (s->ooo) {
		struct ooo_seg *o = s->ooo;
		s->ooo = o->next;
		r->bytes -= sizeof(*o) + o->len;
		free(o);
	}
	s->ooo_bytes = 0;
	r->bytes -= s->cap;
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = 0;
}

static void tr_drop(struct tcpreasm *r, struct tstream *s)
{
	tr_clear(r, s);
	flowtab_remove(r->tab, s);
}

void tcpreasm_free(struct tcpreasm *r)
{
	if (!r)
		return;
	struct tstream *s;
	while ((s = flowtab_oldest(r->tab)) != NULL)
		tr_drop(r, s);
	flowtab_free(r->tab);
	free(r);
}

size_t tcpreasm_bytes(const struct tcpreasm *r)
{
	return r->bytes;
}

void tcpreasm_expire(struct tcpreasm *r, int64_t now_s)
{
	struct tstream *s;
	while ((s = flowtab_oldest(r->tab)) != NULL && now_s - s->last_s >= (int64_t)r->timeout_s) {
		if (tr_has_data(s))
			STAT_INC(r->st, tcp_streams_timeout);
		tr_drop(r, s);
	}
}

/* Makes room for more bytes by evicting the oldest streams other than keep. */
static int tr_room(struct tcpreasm *r, struct tstream *keep, size_t more)
{
	struct tstream *old;
	while (r->bytes + more > r->max_bytes && (old = flowtab_oldest(r->tab)) != NULL &&
	       old != keep) {
		STAT_INC(r->st, tcp_streams_evicted);
		tr_drop(r, old);
	}
	return r->bytes + more <= r->max_bytes;
}

static void tr_emit(struct tcpreasm *r, const uint8_t *msg, size_t len)
{
	STAT_INC(r->st, tcp_messages);
	r->fn(r->ctx, msg, len);
}

/* Delivers the complete messages at the front of p; returns bytes used. */
static size_t tr_deliver(struct tcpreasm *r, const uint8_t *p, size_t len)
{
	size_t used = 0;
	while (len - used >= 2) {
		size_t mlen = pd_be16(p + used);
		if (len - used - 2 < mlen)
			break;
		tr_emit(r, p + used + 2, mlen);
		used += 2 + mlen;
	}
	return used;
}

static int tr_append(struct tcpreasm *r, struct tstream *s, const uint8_t *p, size_t len)
{
	if (s->len + len > s->cap) {
		/* Never more than one message: callers append at most that. */
		size_t ncap = s->cap ? (size_t)s->cap * 2 : 512;
		if (ncap < s->len + len)
			ncap = s->len + len;
		if (ncap > TR_MSG_MAX && s->len + len <= TR_MSG_MAX)
			ncap = TR_MSG_MAX;
		if (!tr_room(r, s, ncap - s->cap))
			return -1;
		uint8_t *nb = realloc(s->buf, ncap);
		if (!nb)
			return -1;
		r->bytes += ncap - s->cap;
		s->buf = nb;
		s->cap = (uint32_t)ncap;
	}
	memcpy(s->buf + s->len, p, len);
	s->len += (uint32_t)len;
	return 0;
}

/* Consumes in-order bytes: messages straight from the segment when no
 * partial message is pending, through the stream buffer otherwise. */
static void tr_consume(struct tcpreasm *r, struct tstream *s, const uint8_t *p, size_t len)
{
	s->next_seq += (uint32_t)len;
	while (len > 0) {
		if (s->len == 0) {
			size_t used = tr_deliver(r, p, len);
			if (used < len && tr_append(r, s, p + used, len - used) < 0)
				goto lost;
			return;
		}
		/* Complete the length prefix, then the pending message. */
		size_t need = s->len < 2 ? 2 - s->len : 2u + pd_be16(s->buf) - s->len;
		size_t take = need < len ? need : len;
		if (tr_append(r, s, p, take) < 0)
			goto lost;
		p += take;
		len -= take;
		if (s->len >= 2 && s->len == 2u + pd_be16(s->buf)) {
			tr_emit(r, s->buf + 2, s->len - 2u);
			s->len = 0;
		}
	}
	return;
lost:
	STAT_INC(r->st, tcp_streams_evicted);
	tr_clear(r, s);
	s->have_seq = 0;
}

static void tr_ooo_insert(struct tcpreasm *r, struct tstream *s, uint32_t seq,
                          const uint8_t *p, size_t len)
{
	if (s->ooo_bytes + len > TR_OOO_MAX || !tr_room(r, s, sizeof(struct ooo_seg) + len)) {
		/* The gap may never fill: give up on this stream's pending bytes. */
		STAT_INC(r->st, tcp_ooo_dropped);
		tr_clear(r, s);
		s->have_seq = 0;
		return;
	}
	struct ooo_seg *o = malloc(sizeof(*o) + len);
	if (!o)
		return;
	o->seq = seq;
	o->len = (uint32_t)len;
	memcpy(o->data, p, len);
	struct ooo_seg **pp = &s->ooo;
	while (*pp && (int32_t)((*pp)->seq - seq) <= 0)
		pp = &(*pp)->next;
	o->next = *pp;
	*pp = o;
	s->ooo_bytes += o->len;
	r->bytes += sizeof(*o) + len;
}

/* Feeds bytes at seq, trimming what was already consumed. */
static void tr_data(struct tcpreasm *r, struct tstream *s, uint32_t seq,
                    const uint8_t *p, size_t len)
{
	int32_t rel = (int32_t)(seq - s->next_seq);
	if (rel < 0) {
		size_t old = (size_t)-(int64_t)rel;
		if (old >= len) {
			STAT_ADD(r->st, tcp_retransmitted_bytes, len);
			return;
		}
		STAT_ADD(r->st, tcp_retransmitted_bytes, old);
		p += old;
		len -= old;
		rel = 0;
	}
	if (rel > 0) {
		tr_ooo_insert(r, s, seq, p, len);
		return;
	}
	tr_consume(r, s, p, len);
	while (s->have_seq && s->ooo && (int32_t)(s->ooo->seq - s->next_seq) <= 0) {
		struct ooo_seg *o = s->ooo;
		s->ooo = o->next;
		s->ooo_bytes -= o->len;
		r->bytes -= sizeof(*o) + o->len;
		uint32_t skip = s->next_seq - o->seq;
		if (skip < o->len)
			tr_consume(r, s, o->data + skip, o->len - skip);
		else
			STAT_ADD(r->st, tcp_retransmitted_bytes, o->len);
		free(o);
	}
}

void tcpreasm_segment(struct tcpreasm *r, const struct tcp_key *key, uint32_t seq,
                      uint8_t flags, const uint8_t *data, size_t len, int64_t now_s)
{
	STAT_INC(r->st, tcp_segments);
	tcpreasm_expire(r, now_s);
	struct tstream *s = flowtab_find(r->tab, key);
	if (flags & TCP_RST) {
		if (s)
			tr_drop(r, s);
		return;
	}
	if (!s) {
		if (len == 0 && !(flags & TCP_SYN))
			return;
		s = flowtab_insert(r->tab, key);
		if (!s) {
			STAT_INC(r->st, tcp_streams_evicted);
			tr_drop(r, flowtab_oldest(r->tab));
			s = flowtab_insert(r->tab, key);
		}
	}
	s->last_s = now_s;
	if (flags & TCP_SYN) {
		tr_clear(r, s);
		seq += 1;
		s->next_seq = seq;
		s->have_seq = 1;
	}
	if (!s->have_seq && len > 0) {
		s->next_seq = seq;
		s->have_seq = 1;
	}
	if (len > 0)
		tr_data(r, s, seq, data, len);
	if (flags & TCP_FIN)
		s->fin = 1;
	if (s->fin && !s->ooo) {
		if (s->len > 0)
			STAT_INC(r->st, malformed_dns_truncated);
		tr_drop(r, s);
	}
}
