#include "backoff.h"

void backoff_failed(struct backoff *b, uint64_t sent_ms, uint64_t now_ms, unsigned min_ms)
{
	if (!b->wait_ms || sent_ms >= b->since_ms) {
		b->wait_ms = b->wait_ms ? b->wait_ms * 2 : BACKOFF_MIN_MS;
		if (b->wait_ms > BACKOFF_MAX_MS)
			b->wait_ms = BACKOFF_MAX_MS;
		b->since_ms = now_ms;
		b->retry_at_ms = now_ms + b->wait_ms;
	}
	if (b->retry_at_ms < now_ms + min_ms)
		b->retry_at_ms = now_ms + min_ms;
}

void backoff_reset(struct backoff *b)
{
	b->wait_ms = 0;
	b->retry_at_ms = 0;
}
