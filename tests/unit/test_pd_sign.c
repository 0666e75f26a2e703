/*
 * Unit tests for pd_sign against a throw-away PKI made with the openssl
 * command line in a temporary directory: a CA and a second CA with the same
 * name, valid EC and RSA sensors, expired, not-yet-valid, revoked, analyst and
 * badly named certificates, and CRLs before and after the revocation.
 * PD_BENCH=1 prints sign and verify rates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "pd_err.h"
#include "pd_sign.h"

static char dir[64];

static const char ca_cnf[] =
	"[ca]\ndefault_ca = ca_default\n"
	"[ca_default]\ndir = .\ndatabase = $dir/index.txt\nnew_certs_dir = $dir/new\n"
	"serial = $dir/serial\ncrlnumber = $dir/crlnumber\ncertificate = $dir/ca.crt\n"
	"private_key = $dir/ca.key\ndefault_md = sha256\ndefault_days = 30\n"
	"default_crl_days = 30\npolicy = policy_any\nunique_subject = no\n"
	"x509_extensions = leaf\n"
	"[policy_any]\norganizationName = supplied\norganizationalUnitName = optional\n"
	"commonName = supplied\n"
	"[leaf]\nbasicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\n"
	"extendedKeyUsage = clientAuth\n";

/*
 * Each CA lives in its own directory (ca/, other/). leaf NAME CA SUBJ [KEYALG
 * [extra openssl-ca args]] makes NAME.crt and NAME.key (0600) in the top dir.
 */
static const char script[] =
	"set -e\n"
	"mkca() { mkdir -p $1/new; : > $1/index.txt; echo 1000 > $1/serial;\n"
	"  echo 1000 > $1/crlnumber; cp ca.cnf $1/;\n"
	"  (cd $1 && openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \\\n"
	"    -nodes -keyout ca.key -out ca.crt -subj '/O=almanac/CN=Almanac CA' -days 3650); }\n"
	"leaf() { n=$1; ca=$2; subj=$3; alg=${4:-ec}; shift 3; [ $# -gt 0 ] && shift;\n"
	"  if [ $alg = rsa ]; then k='-newkey rsa:2048';\n"
	"  else k='-newkey ec -pkeyopt ec_paramgen_curve:P-256'; fi\n"
	"  openssl req -new $k -nodes -keyout $n.key -out $n.csr -subj \"$subj\"\n"
	"  (cd $ca && openssl ca -batch -config ca.cnf -in ../$n.csr -out ../$n.crt \"$@\")\n"
	"  chmod 600 $n.key; }\n"
	"mkca ca; mkca other\n"
	"leaf s1 ca /O=almanac-sensor/OU=site1/CN=s1\n"
	"leaf s2 ca /O=almanac-sensor/OU=site2/CN=s2\n"
	"leaf s5 ca /O=almanac-sensor/OU=site1/CN=s5\n"
	"leaf s6 ca /O=almanac-sensor/OU=site1/CN=s6\n"
	"leaf rsa ca /O=almanac-sensor/OU=site3/CN=s3 rsa\n"
	"leaf rev ca /O=almanac-sensor/OU=site1/CN=rev\n"
	"leaf exp ca /O=almanac-sensor/OU=site1/CN=exp ec -startdate 20200101000000Z "
	"-enddate 20200102000000Z\n"
	"leaf fut ca /O=almanac-sensor/OU=site1/CN=fut ec -startdate 20990101000000Z "
	"-enddate 20990102000000Z\n"
	"leaf analyst ca /O=almanac-analyst/OU=site1/CN=alice\n"
	"leaf noou ca /O=almanac-sensor/CN=s7\n"
	"leaf badcn ca '/O=almanac-sensor/OU=site1/CN=s 8'\n"
	"leaf foreign other /O=almanac-sensor/OU=site1/CN=s1\n"
	"(cd ca && openssl ca -config ca.cnf -gencrl -out ../crl0.pem)\n"
	"(cd ca && openssl ca -config ca.cnf -revoke ../rev.crt)\n"
	"(cd ca && openssl ca -config ca.cnf -gencrl -out ../crl1.pem)\n"
	"(cd ca && openssl ca -config ca.cnf -gencrl -crl_lastupdate 20200101000000Z "
	"-crl_nextupdate 20200201000000Z -out ../crl-old.pem)\n"
	"(cd other && openssl ca -config ca.cnf -gencrl -out ../crl-other.pem)\n"
	"cp s1.key s1-open.key; chmod 644 s1-open.key\n";

static char *path(const char *name)
{
	static _Thread_local char buf[8][256];
	static _Thread_local int i;
	char *p = buf[i++ % 8];
	snprintf(p, 256, "%s/%s", dir, name);
	return p;
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/pd_sign_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	FILE *f = fopen(path("ca.cnf"), "w");
	if (!f)
		return -1;
	fputs(ca_cnf, f);
	fclose(f);
	f = fopen(path("mk.sh"), "w");
	if (!f)
		return -1;
	fputs(script, f);
	fclose(f);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "cd %s && sh mk.sh >mk.log 2>&1", dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "pki setup failed; see %s/mk.log\n", dir);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (dir[0] && system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return 0;
}

static struct pd_signer *signer(const char *name)
{
	char crt[64], key[64], err[PD_SIGN_ERR_MAX];
	struct pd_signer *s;
	snprintf(crt, sizeof(crt), "%s.crt", name);
	snprintf(key, sizeof(key), "%s.key", name);
	int rc = pd_signer_new(&s, path(crt), path(key), err, sizeof(err));
	if (rc != 0)
		fail_msg("signer %s: %s", name, err);
	return s;
}

static struct pd_verifier *verifier(const char *crl, size_t cache)
{
	char err[PD_SIGN_ERR_MAX];
	struct pd_verifier *v;
	struct pd_verifier_cfg cfg = { .ca_path = path("ca/ca.crt"),
		.crl_path = crl ? path(crl) : NULL, .cache_entries = cache };
	int rc = pd_verifier_new(&v, &cfg, err, sizeof(err));
	if (rc != 0)
		fail_msg("verifier: %s", err);
	return v;
}

static const uint8_t body[] = "\x97\xc4\x10 a batch body, as bytes";

/* Signs body with name's key and verifies it; returns the reason. */
static enum pd_sign_reason check(struct pd_verifier *v, const char *name,
                                 struct pd_identity *id)
{
	struct pd_signer *s = signer(name);
	uint8_t sig[PD_SIGN_SIG_MAX];
	size_t sig_len, cert_len;
	assert_int_equal(pd_signer_sign(s, body, sizeof(body), sig, sizeof(sig), &sig_len), 0);
	const uint8_t *cert = pd_signer_cert(s, &cert_len);
	enum pd_sign_reason why;
	int rc = pd_verifier_verify(v, cert, cert_len, body, sizeof(body), sig, sig_len, id, &why);
	assert_int_equal(rc, why == PD_SIGN_OK ? 0 : PD_EAUTH);
	pd_signer_free(s);
	return why;
}

static void test_valid(void **state)
{
	(void)state;
	struct pd_verifier *v = verifier("crl1.pem", 0);
	struct pd_identity id;
	assert_int_equal(check(v, "s1", &id), PD_SIGN_OK);
	assert_string_equal(id.sensor_id, "s1");
	assert_string_equal(id.site, "site1");
	assert_int_equal(check(v, "rsa", &id), PD_SIGN_OK);
	assert_string_equal(id.sensor_id, "s3");
	assert_string_equal(id.site, "site3");
	pd_verifier_free(v);
}

static void test_refusals(void **state)
{
	(void)state;
	static const struct { const char *name; enum pd_sign_reason why; } cases[] = {
		{ "foreign", PD_SIGN_UNKNOWN_CA }, { "exp", PD_SIGN_EXPIRED },
		{ "fut", PD_SIGN_EXPIRED }, { "rev", PD_SIGN_REVOKED },
		{ "analyst", PD_SIGN_WRONG_ROLE }, { "noou", PD_SIGN_BAD_IDENTITY },
		{ "badcn", PD_SIGN_BAD_IDENTITY },
	};
	struct pd_verifier *v = verifier("crl1.pem", 0);
	struct pd_identity id;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum pd_sign_reason why = check(v, cases[i].name, &id);
		if (why != cases[i].why)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].name,
			         pd_sign_reason_str(why), pd_sign_reason_str(cases[i].why));
		assert_string_equal(id.sensor_id, ""); /* nothing leaks on refusal */
	}
	/* Refusals are not cached: they are refused again, for the same reason. */
	assert_int_equal(check(v, "rev", &id), PD_SIGN_REVOKED);
	struct pd_verifier_stats st;
	pd_verifier_stats(v, &st);
	assert_true(st.cache_hits == 0);
	pd_verifier_free(v);
	assert_string_equal(pd_sign_reason_str(PD_SIGN_UNKNOWN_CA), "unknown CA");
	assert_string_equal(pd_sign_reason_str((enum pd_sign_reason)99), "unknown reason");
}

static void test_bad_signatures(void **state)
{
	(void)state;
	struct pd_verifier *v = verifier(NULL, 0);
	struct pd_signer *s1 = signer("s1"), *s2 = signer("s2");
	uint8_t sig[PD_SIGN_SIG_MAX], other[PD_SIGN_SIG_MAX], tampered[sizeof(body)];
	size_t sig_len, other_len, cert_len;
	const uint8_t *cert = pd_signer_cert(s1, &cert_len);
	struct pd_identity id;
	enum pd_sign_reason why;
	pd_signer_sign(s1, body, sizeof(body), sig, sizeof(sig), &sig_len);
	pd_signer_sign(s2, body, sizeof(body), other, sizeof(other), &other_len);
	/* s1's certificate with s2's signature */
	assert_int_equal(pd_verifier_verify(v, cert, cert_len, body, sizeof(body), other,
	                                     other_len, &id, &why), PD_EAUTH);
	assert_int_equal(why, PD_SIGN_BAD_SIG);
	/* one bit of the body changed, then the signature truncated or extended */
	memcpy(tampered, body, sizeof(body));
	tampered[5] ^= 1;
	assert_int_equal(pd_verifier_verify(v, cert, cert_len, tampered, sizeof(body), sig,
	                                    sig_len, &id, &why), PD_EAUTH);
	assert_int_equal(why, PD_SIGN_BAD_SIG);
	assert_int_equal(pd_verifier_verify(v, cert, cert_len, body, sizeof(body), sig,
	                                    sig_len - 1, &id, &why), PD_EAUTH);
	assert_int_equal(why, PD_SIGN_BAD_SIG);
	sig[sig_len] = 0;
	assert_int_equal(pd_verifier_verify(v, cert, cert_len, body, sizeof(body), sig,
	                                    sig_len + 1, &id, &why), PD_EAUTH);
	assert_int_equal(why, PD_SIGN_BAD_SIG);
	assert_int_equal(pd_verifier_verify(v, cert, cert_len, body, sizeof(body), sig, 0,
	                                    &id, &why), PD_EAUTH);
	assert_int_equal(why, PD_SIGN_BAD_SIG);
	/* the real one still passes; the domain prefix is part of what is signed */
	assert_int_equal(pd_verifier_verify(v, cert, cert_len, body, sizeof(body), sig,
	                                    sig_len, &id, &why), 0);
	/* ECDSA here is deterministic: the same body gives the same signature */
	size_t again_len;
	pd_signer_sign(s1, body, sizeof(body), other, sizeof(other), &again_len);
	assert_true(again_len == sig_len && memcmp(other, sig, sig_len) == 0);
	assert_int_equal(pd_signer_sign(s1, body, sizeof(body), other, 8, &again_len),
	                 PD_ESPACE);
	pd_signer_free(s1);
	pd_signer_free(s2);
	pd_verifier_free(v);
}

static void test_malformed_cert(void **state)
{
	(void)state;
	struct pd_verifier *v = verifier(NULL, 0);
	struct pd_signer *s = signer("s1");
	uint8_t sig[PD_SIGN_SIG_MAX], cert[PD_SIGN_CERT_MAX + 1];
	size_t sig_len, cert_len;
	memcpy(cert, pd_signer_cert(s, &cert_len), cert_len);
	pd_signer_sign(s, body, sizeof(body), sig, sizeof(sig), &sig_len);
	struct pd_identity id;
	enum pd_sign_reason why;
	static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	assert_int_equal(pd_verifier_verify(v, junk, sizeof(junk), body, sizeof(body), sig,
	                                    sig_len, &id, &why), PD_EAUTH);
	assert_int_equal(why, PD_SIGN_MALFORMED);
	cert[cert_len] = 0; /* a trailing byte */
	assert_int_equal(pd_verifier_verify(v, cert, cert_len + 1, body, sizeof(body), sig,
	                                    sig_len, &id, &why), PD_EAUTH);
	assert_int_equal(why, PD_SIGN_MALFORMED);
	for (size_t cut = 0; cut < cert_len; cut += 7) {
		assert_int_equal(pd_verifier_verify(v, cert, cut, body, sizeof(body), sig,
		                                    sig_len, &id, &why), PD_EAUTH);
		assert_int_equal(why, PD_SIGN_MALFORMED);
	}
	cert[cert_len / 2] ^= 0x40; /* inside the signed part: no longer the CA's */
	assert_int_equal(pd_verifier_verify(v, cert, cert_len, body, sizeof(body), sig,
	                                    sig_len, &id, &why), PD_EAUTH);
	assert_true(why == PD_SIGN_UNKNOWN_CA || why == PD_SIGN_MALFORMED);
	assert_int_equal(pd_verifier_verify(v, cert, sizeof(cert), body, sizeof(body), sig,
	                                    sig_len, &id, &why), PD_EAUTH);
	assert_int_equal(why, PD_SIGN_MALFORMED);
	pd_signer_free(s);
	pd_verifier_free(v);
}

static void test_load_errors(void **state)
{
	(void)state;
	char err[PD_SIGN_ERR_MAX];
	struct pd_signer *s;
	struct pd_verifier *v;
	assert_int_equal(pd_signer_new(&s, path("s1.crt"), path("s1-open.key"), err,
	                               sizeof(err)), PD_ECONFIG);
	assert_null(s);
	assert_non_null(strstr(err, "s1-open.key is accessible by group or others (mode 0644)"));
	assert_int_equal(pd_signer_new(&s, path("s1.crt"), path("s2.key"), err, sizeof(err)),
	                 PD_ECONFIG);
	assert_non_null(strstr(err, "does not belong to certificate"));
	assert_true(pd_signer_new(&s, path("s1.crt"), path("missing.key"), err, sizeof(err)) ==
	            -2 /* -ENOENT */);
	assert_int_equal(pd_signer_new(&s, path("missing.crt"), path("s1.key"), err, sizeof(err)),
	                 PD_ECONFIG);
	assert_int_equal(pd_signer_new(&s, path("s1.crt"), path("s1.crt"), NULL, 0), PD_ECONFIG);

	struct pd_verifier_cfg cfg = { .ca_path = path("ca/ca.crt"),
		.crl_path = path("crl-other.pem") };
	assert_int_equal(pd_verifier_new(&v, &cfg, err, sizeof(err)), PD_ECONFIG);
	assert_non_null(strstr(err, "not signed by the CA"));
	cfg.crl_path = path("crl-old.pem");
	assert_int_equal(pd_verifier_new(&v, &cfg, err, sizeof(err)), PD_ECONFIG);
	assert_non_null(strstr(err, "out of date"));
	cfg.crl_path = NULL;
	cfg.ca_path = path("nothing.crt");
	assert_int_equal(pd_verifier_new(&v, &cfg, err, sizeof(err)), PD_ECONFIG);
	assert_null(v);
}

static void test_cache(void **state)
{
	(void)state;
	struct pd_verifier *v = verifier("crl0.pem", 4); /* one set of 4 */
	struct pd_identity id, id2;
	struct pd_verifier_stats st;
	assert_int_equal(check(v, "s1", &id), PD_SIGN_OK);
	assert_int_equal(check(v, "s1", &id2), PD_SIGN_OK);
	assert_memory_equal(&id, &id2, sizeof(id));
	pd_verifier_stats(v, &st);
	assert_true(st.cache_hits == 1 && st.cache_misses == 1);
	/* A hit still checks the signature. */
	struct pd_signer *s1 = signer("s1"), *s2 = signer("s2");
	uint8_t sig[PD_SIGN_SIG_MAX];
	size_t sig_len, cert_len;
	const uint8_t *cert = pd_signer_cert(s1, &cert_len);
	enum pd_sign_reason why;
	pd_signer_sign(s2, body, sizeof(body), sig, sizeof(sig), &sig_len);
	assert_int_equal(pd_verifier_verify(v, cert, cert_len, body, sizeof(body), sig, sig_len,
	                                    &id, &why), PD_EAUTH);
	assert_int_equal(why, PD_SIGN_BAD_SIG);
	pd_signer_free(s1);
	pd_signer_free(s2);
	/* Five certificates through four ways: one eviction. */
	assert_int_equal(check(v, "s2", &id), PD_SIGN_OK);
	assert_int_equal(check(v, "s5", &id), PD_SIGN_OK);
	assert_int_equal(check(v, "rev", &id), PD_SIGN_OK); /* crl0 predates the revocation */
	assert_int_equal(check(v, "s6", &id), PD_SIGN_OK);
	pd_verifier_stats(v, &st);
	assert_true(st.cache_evictions == 1);
	/* rev is cached as valid; a reloaded CRL drops it. */
	assert_int_equal(check(v, "rev", &id), PD_SIGN_OK);
	char err[PD_SIGN_ERR_MAX];
	assert_int_equal(pd_verifier_reload_crl(v, path("crl-other.pem"), err, sizeof(err)),
	                 PD_ECONFIG);
	assert_int_equal(check(v, "rev", &id), PD_SIGN_OK); /* old CRL still in force */
	assert_int_equal(pd_verifier_reload_crl(v, path("crl1.pem"), err, sizeof(err)), 0);
	assert_int_equal(check(v, "rev", &id), PD_SIGN_REVOKED);
	assert_int_equal(check(v, "s1", &id), PD_SIGN_OK);
	pd_verifier_stats(v, &st);
	assert_true(st.crl_reloads == 1);
	pd_verifier_free(v);
}

struct worker {
	struct pd_verifier *v;
	struct pd_signer *s;
	const char *want;
	int bad;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	uint8_t sig[PD_SIGN_SIG_MAX];
	size_t sig_len, cert_len;
	const uint8_t *cert = pd_signer_cert(w->s, &cert_len);
	for (int i = 0; i < 40; i++) {
		struct pd_identity id;
		enum pd_sign_reason why;
		if (pd_signer_sign(w->s, body, sizeof(body), sig, sizeof(sig), &sig_len) ||
		    pd_verifier_verify(w->v, cert, cert_len, body, sizeof(body), sig, sig_len, &id,
		                       &why) || strcmp(id.sensor_id, w->want))
			w->bad++;
		if (i == 20 && w->want[1] == '1')
			pd_verifier_reload_crl(w->v, path("crl1.pem"), NULL, 0);
	}
	return NULL;
}

/* Several threads sign and verify through one signer each and one verifier. */
static void test_threads(void **state)
{
	(void)state;
	struct pd_verifier *v = verifier("crl1.pem", 0);
	struct pd_signer *s[2] = { signer("s1"), signer("rsa") };
	struct worker w[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ .v = v, .s = s[i % 2], .want = i % 2 ? "s3" : "s1" };
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].bad, 0);
	}
	pd_signer_free(s[0]);
	pd_signer_free(s[1]);
	pd_verifier_free(v);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Cached: one certificate over and over. Uncached: five certificates cycled
 * through a 4-way cache, so LRU evicts each one just before it comes back. */
static void bench_one(const char *label, const char *const *names, size_t n_names,
                      size_t cache)
{
	enum { ROUNDS = 500 };
	struct pd_verifier *v = verifier(NULL, cache);
	struct pd_signer *s[5];
	uint8_t sig[5][PD_SIGN_SIG_MAX];
	size_t sig_len[5];
	for (size_t i = 0; i < n_names; i++)
		s[i] = signer(names[i]);
	double t0 = now_s();
	for (int r = 0; r < ROUNDS; r++)
		pd_signer_sign(s[0], body, sizeof(body), sig[0], sizeof(sig[0]), &sig_len[0]);
	double t1 = now_s();
	for (size_t i = 0; i < n_names; i++)
		pd_signer_sign(s[i], body, sizeof(body), sig[i], sizeof(sig[i]), &sig_len[i]);
	for (int r = 0; r < ROUNDS; r++) {
		size_t i = (size_t)r % n_names, cert_len;
		const uint8_t *cert = pd_signer_cert(s[i], &cert_len);
		struct pd_identity id;
		enum pd_sign_reason why;
		assert_int_equal(pd_verifier_verify(v, cert, cert_len, body, sizeof(body), sig[i],
		                                    sig_len[i], &id, &why), 0);
	}
	double t2 = now_s();
	struct pd_verifier_stats st;
	pd_verifier_stats(v, &st);
	printf("bench: %-20s sign %7.0f/s  verify %7.0f/s  (cache hits %llu, misses %llu)\n",
	       label, ROUNDS / (t1 - t0), ROUNDS / (t2 - t1), (unsigned long long)st.cache_hits,
	       (unsigned long long)st.cache_misses);
	for (size_t i = 0; i < n_names; i++)
		pd_signer_free(s[i]);
	pd_verifier_free(v);
}

static void test_bench(void **state)
{
	(void)state;
	if (!getenv("PD_BENCH"))
		skip();
	static const char *const ec[] = { "s1", "s2", "s5", "s6", "rev" };
	static const char *const rsa[] = { "rsa" };
	bench_one("P-256, cached", ec, 1, 0);
	bench_one("P-256, uncached", ec, 5, 4);
	bench_one("RSA-2048, cached", rsa, 1, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_bad_signatures),
		cmocka_unit_test(test_malformed_cert),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_bench),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
