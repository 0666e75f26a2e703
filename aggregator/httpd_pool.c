#include "httpd_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "pd_time.h"

struct httpd_pool {
	httpd_pool_fn run, drop;
	void *ctx;
	pthread_mutex_t mtx;
	pthread_cond_t work_cv, gone_cv;
	void **q;
	unsigned cap, head, len;
	unsigned started, alive;
	bool quit, orphan; /* orphan: stop gave up; the last thread frees */
	pthread_t t[];
};

static void pool_free(struct httpd_pool *p);

static void *pool_main(void *arg)
{
	struct httpd_pool *p = arg;
	pthread_mutex_lock(&p->mtx);
	for (;;) {
		while (!p->len && !p->quit)
			pthread_cond_wait(&p->work_cv, &p->mtx);
		if (!p->len)
			break;
		void *item = p->q[p->head];
		p->head = (p->head + 1) % p->cap;
		p->len--;
		httpd_pool_fn fn = p->quit ? p->drop : p->run;
		pthread_mutex_unlock(&p->mtx);
		fn(p->ctx, item);
		pthread_mutex_lock(&p->mtx);
	}
	p->alive--;
	pthread_cond_broadcast(&p->gone_cv);
	bool last_orphan = p->orphan && !p->alive;
	pthread_mutex_unlock(&p->mtx);
	if (last_orphan)
		pool_free(p);
	return NULL;
}

static void pool_free(struct httpd_pool *p)
{
	pthread_mutex_destroy(&p->mtx);
	pthread_cond_destroy(&p->work_cv);
	pthread_cond_destroy(&p->gone_cv);
	free(p->q);
	free(p);
}

static void nothing(void *ctx, void *item)
{
	(void)ctx;
	(void)item;
}

int httpd_pool_start(struct httpd_pool **out, unsigned threads, unsigned queue_max,
                     httpd_pool_fn run, void *ctx)
{
	struct httpd_pool *p = calloc(1, sizeof(*p) + threads * sizeof(p->t[0]));
	void **q = calloc(queue_max ? queue_max : 1, sizeof(void *));
	if (!p || !q) {
		free(p);
		free(q);
		return -ENOMEM;
	}
	p->q = q;
	p->cap = queue_max ? queue_max : 1;
	p->run = run;
	p->drop = nothing;
	p->ctx = ctx;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&p->mtx, NULL);
	pthread_cond_init(&p->work_cv, &ca);
	pthread_cond_init(&p->gone_cv, &ca);
	pthread_condattr_destroy(&ca);
	int e = 0;
	for (unsigned i = 0; e == 0 && i < threads; i++)
		if ((e = pthread_create(&p->t[i], NULL, pool_main, p)) == 0) {
			p->started++;
			p->alive++;
		}
	if (e != 0) {
		httpd_pool_stop(p, nothing, 1000);
		return -e;
	}
	*out = p;
	return 0;
}

bool httpd_pool_push(struct httpd_pool *p, void *item)
{
	pthread_mutex_lock(&p->mtx);
	bool ok = !p->quit && p->len < p->cap;
	if (ok) {
		p->q[(p->head + p->len++) % p->cap] = item;
		pthread_cond_signal(&p->work_cv);
	}
	pthread_mutex_unlock(&p->mtx);
	return ok;
}

int httpd_pool_stop(struct httpd_pool *p, httpd_pool_fn drop, unsigned timeout_ms)
{
	struct timespec dl = pd_deadline(CLOCK_MONOTONIC, timeout_ms);
	pthread_mutex_lock(&p->mtx);
	p->quit = true;
	p->drop = drop;
	pthread_cond_broadcast(&p->work_cv);
	while (p->alive && pthread_cond_timedwait(&p->gone_cv, &p->mtx, &dl) != ETIMEDOUT)
		;
	if (p->alive) {
		for (unsigned i = 0; i < p->started; i++)
			pthread_detach(p->t[i]);
		p->orphan = true;
		pthread_mutex_unlock(&p->mtx);
		return -1;
	}
	pthread_mutex_unlock(&p->mtx);
	for (unsigned i = 0; i < p->started; i++)
		pthread_join(p->t[i], NULL);
	pool_free(p);
	return 0;
}
