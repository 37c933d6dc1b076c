/*
 * test_hubkey.c - hub/hubkey.c with a real key directory, a real store
 * and real libsodium: what it publishes is checked as a device checks it
 * (crypto_beat_open, crypto_trust_apply_chain against a trust made from
 * the hub's public keys), never against bytes typed in.
 *
 * What must hold: no hub.key refuses with "key init"; the heartbeat is
 * signed by the current key, retained QoS 1 on <prefix>/v1/_hub/heartbeat,
 * its seq only grows, and it is sent when due; no chain is published while
 * there has been no rotation; a rotation made by `stridehub key rotate` is
 * followed at the next look (tick returns 1 once), the chain applies on a
 * device's trust and moves it to the new key, and the heartbeat is then
 * signed by the new key (the old trust calls it "unknown"); an
 * interrupted rotation is finished when the store names the new key,
 * undone when it does not; a hub.key that is not the chain's newest is
 * refused.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "check.h"
#include "cli.h"
#include "hubkey.h"
#include "store.h"
#include "stride/crypto.h"
#include "stride/keyfile.h"
#include "stride/log.h"

#define PREFIX	"club"
#define BEAT_MS	60000
#define T0	1700000000000LL

static char	tmp[64], dbpath[128], keydir[128], keypath[160], nextpath[160];
static char	outpath[160];

/* ---- a recorder for publishes ---- */

#define REC_MAX	16
struct rec {
	int	n;
	int	fail;
	struct {
		char	topic[128];
		uint8_t	payload[CRYPTO_ROT_CHAIN_MAX * CRYPTO_ROT_BYTES];
		size_t	len;
		int	qos, retained;
	} m[REC_MAX];
};

static int
record(void *arg, const char *topic, const void *payload, size_t len,
    int qos, int retained)
{
	struct rec *r = arg;

	if (r->fail > 0) {
		r->fail--;
		return -1;
	}
	if (r->n == REC_MAX || len > sizeof(r->m[0].payload))
		return -1;
	snprintf(r->m[r->n].topic, sizeof(r->m[r->n].topic), "%s", topic);
	memcpy(r->m[r->n].payload, payload, len);
	r->m[r->n].len = len;
	r->m[r->n].qos = qos;
	r->m[r->n].retained = retained;
	r->n++;
	return 0;
}

/* The last message on topic, or -1. */
static int
rec_last(const struct rec *r, const char *topic)
{
	int i;

	for (i = r->n - 1; i >= 0; i--)
		if (strcmp(r->m[i].topic, topic) == 0)
			return i;
	return -1;
}

static int
count_on(const struct rec *r, const char *topic)
{
	int i, n = 0;

	for (i = 0; i < r->n; i++)
		n += strcmp(r->m[i].topic, topic) == 0;
	return n;
}

/* ---- helpers ---- */

/* `stridehub key rotate` with our key dir, output thrown away. */
static int
cli_rotate(void)
{
	struct cli_opts	 o = { dbpath, keydir, PREFIX };
	char		*argv[] = { "key", "rotate" };
	int		 so, fd, rc;

	fflush(stdout);
	so = dup(STDOUT_FILENO);
	fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	rc = cli_run(&o, 2, argv);
	fflush(stdout);
	dup2(so, STDOUT_FILENO);
	close(so);
	return rc;
}

static void
public_of(const char *path, uint8_t spk[32], uint8_t kpk[32])
{
	const char *why = NULL;

	CHECK(keyfile_public_hub(spk, kpk, path, &why) == 0);
}

/* A rotation from cur to next recorded in st as the CLI does. */
static void
record_rotation(struct store *st, const struct crypto_hub_identity *cur,
    const struct crypto_hub_identity *nx, int64_t t)
{
	struct store_rotation r;

	memset(&r, 0, sizeof(r));
	r.issued_ms = t;
	CHECK(crypto_rot_sign(r.ann, t, cur, nx) == 0);
	memcpy(r.old_key_id, cur->key_id, 8);
	memcpy(r.sign_pk, nx->sign_pk, 32);
	memcpy(r.kx_pk, nx->kx_pk, 32);
	CHECK(store_begin(st) == 0);
	CHECK(store_rotation_put(st, &r, NULL) == 0);
	CHECK(store_commit(st) == 0);
}

/* ---- tests ---- */

static void
test_no_key(struct store *st)
{
	char	err[256];

	CHECK(hubkey_open(keydir, NULL, PREFIX, BEAT_MS, st, err,
	    sizeof(err)) == NULL);
	CHECK(strstr(err, "no hub key") != NULL &&
	    strstr(err, "key init") != NULL);
}

static void
test_beat_and_rotation(struct store *st, struct crypto_hub_identity *id0)
{
	struct hubkey		*hk;
	struct rec		*r = calloc(1, sizeof(*r));
	struct crypto_trust	 t, t_old;
	struct crypto_beat	 b;
	const char		*why = NULL;
	char			 err[256];
	uint8_t			 spk[32], kpk[32];
	uint64_t		 seq1;
	unsigned		 applied = 0;
	int			 i, k;
	const char		*beat = PREFIX "/v1/_hub/heartbeat";
	const char		*keys = PREFIX "/v1/_hub/keys";

	if (r == NULL)
		return;
	CHECK((hk = hubkey_open(keydir, NULL, PREFIX, BEAT_MS, st, err,
	    sizeof(err))) != NULL);
	if (hk == NULL) {
		fprintf(stderr, "hubkey_open: %s\n", err);
		free(r);
		return;
	}
	CHECK(memcmp(hubkey_identity(hk)->sign_pk, id0->sign_pk, 32) == 0);
	crypto_trust_init(&t, id0->sign_pk, id0->kx_pk);

	/* On connect: a heartbeat, no chain (never rotated). */
	hubkey_announce(hk, T0, record, r);
	CHECK(r->n == 1 && count_on(r, keys) == 0);
	CHECK((k = rec_last(r, beat)) == 0);
	CHECK(k >= 0 && r->m[k].qos == 1 && r->m[k].retained == 1);
	CHECK(k >= 0 && r->m[k].len == CRYPTO_BEAT_BYTES);
	CHECK(k >= 0 && crypto_beat_open(&b, r->m[k].payload, r->m[k].len,
	    &t, &why) == 0);
	CHECK(b.hub_ms == T0 && b.seq >= (uint64_t)T0);
	crypto_trust_beat_accepted(&t, &b);
	seq1 = b.seq;

	/* Not due yet: nothing; due: a newer one. Same ms: still newer. */
	CHECK(hubkey_tick(hk, st, T0 + 1000, record, r) == 0);
	CHECK(r->n == 1);
	CHECK(hubkey_tick(hk, st, T0 + BEAT_MS, record, r) == 0);
	CHECK(r->n == 2 && (k = rec_last(r, beat)) == 1);
	CHECK(crypto_beat_open(&b, r->m[1].payload, r->m[1].len, &t,
	    &why) == 0 && b.seq > seq1 && b.hub_ms == T0 + BEAT_MS);
	crypto_trust_beat_accepted(&t, &b);
	hubkey_announce(hk, T0 + BEAT_MS, record, r);
	CHECK(r->n == 3 && crypto_beat_open(&b, r->m[2].payload,
	    r->m[2].len, &t, &why) == 0);
	crypto_trust_beat_accepted(&t, &b);
	/* A replay of an old one is "not newer". */
	CHECK(crypto_beat_open(&b, r->m[0].payload, r->m[0].len, &t,
	    &why) == 1);
	/* A failed publish is tried again soon, not a minute later. */
	r->n = 0;
	r->fail = 1;
	CHECK(hubkey_tick(hk, st, T0 + 2 * BEAT_MS, record, r) == 0);
	CHECK(r->n == 0);
	CHECK(hubkey_tick(hk, st, T0 + 2 * BEAT_MS + 1000, record, r) == 0);
	CHECK(r->n == 1 && rec_last(r, beat) == 0);

	/* `key rotate` while the hub runs: followed at the next look. */
	t_old = t;
	CHECK(cli_rotate() == 0);
	public_of(keypath, spk, kpk);
	CHECK(memcmp(spk, id0->sign_pk, 32) != 0 &&
	    memcmp(kpk, id0->kx_pk, 32) == 0);
	CHECK(access(nextpath, F_OK) == -1);
	r->n = 0;
	CHECK(hubkey_tick(hk, st, T0 + 2 * BEAT_MS + 3000, record, r) == 1);
	CHECK(memcmp(hubkey_identity(hk)->sign_pk, spk, 32) == 0);
	CHECK(count_on(r, keys) == 1 && count_on(r, beat) == 1);
	CHECK((k = rec_last(r, keys)) >= 0 && r->m[k].len ==
	    CRYPTO_ROT_BYTES && r->m[k].retained == 1 && r->m[k].qos == 1);
	/* The device follows the chain to the new key... */
	CHECK(k >= 0 && crypto_trust_apply_chain(&t, r->m[k].payload,
	    r->m[k].len, &applied, &why) == 0 && applied == 1);
	CHECK(memcmp(t.hub_sign_pk, spk, 32) == 0);
	/* ... and the heartbeat is the new key's: the old trust does not
	 * know it, the new one takes it. */
	CHECK((i = rec_last(r, beat)) >= 0);
	CHECK(i >= 0 && crypto_beat_open(&b, r->m[i].payload, r->m[i].len,
	    &t_old, &why) == -1);
	CHECK(i >= 0 && crypto_beat_open(&b, r->m[i].payload, r->m[i].len,
	    &t, &why) == 0);
	crypto_trust_beat_accepted(&t, &b);
	/* Once only; the next announce carries the chain again. */
	CHECK(hubkey_tick(hk, st, T0 + 2 * BEAT_MS + 5000, record, r) == 0);
	r->n = 0;
	hubkey_announce(hk, T0 + 3 * BEAT_MS, record, r);
	CHECK(count_on(r, keys) == 1 && count_on(r, beat) == 1);

	/* A second rotation: the chain has both, a device that slept
	 * through both catches up in one message. */
	CHECK(cli_rotate() == 0);
	r->n = 0;
	CHECK(hubkey_tick(hk, st, T0 + 3 * BEAT_MS + 2000, record, r) == 1);
	CHECK((k = rec_last(r, keys)) >= 0 && r->m[k].len ==
	    2 * CRYPTO_ROT_BYTES);
	applied = 0;
	CHECK(k >= 0 && crypto_trust_apply_chain(&t_old, r->m[k].payload,
	    r->m[k].len, &applied, &why) == 0 && applied == 2);
	CHECK(memcmp(t_old.hub_sign_pk, hubkey_identity(hk)->sign_pk,
	    32) == 0);
	CHECK(t_old.nretired == 2);

	/* A hub started afterwards loads the current key and the chain. */
	hubkey_free(hk);
	CHECK((hk = hubkey_open(keydir, NULL, PREFIX, BEAT_MS, st, err,
	    sizeof(err))) != NULL);
	if (hk != NULL) {
		r->n = 0;
		hubkey_announce(hk, T0 + 4 * BEAT_MS, record, r);
		CHECK((k = rec_last(r, keys)) >= 0 && r->m[k].len ==
		    2 * CRYPTO_ROT_BYTES);
		CHECK(memcmp(hubkey_identity(hk)->sign_pk, t_old.hub_sign_pk,
		    32) == 0);
	}
	hubkey_free(hk);
	free(r);
}

static void
test_interrupted(struct store *st)
{
	struct crypto_hub_identity	 cur, nx, old;
	struct hubkey			*hk;
	const char			*why = NULL;
	char				 err[512];
	uint8_t				 spk[32], kpk[32];

	CHECK(keyfile_load_hub(&cur, keypath, NULL, &why) == KEYFILE_OK);

	/* Before the insert: the new key was never announced: removed,
	 * the current key stays. */
	CHECK(crypto_hub_new_signing_key(&nx, &cur) == 0);
	CHECK(keyfile_save_hub(nextpath, &nx, NULL, CRYPTO_KDF_MODERATE, 0,
	    &why) == 0);
	CHECK((hk = hubkey_open(keydir, NULL, PREFIX, BEAT_MS, st, err,
	    sizeof(err))) != NULL);
	CHECK(hk != NULL && memcmp(hubkey_identity(hk)->sign_pk, cur.sign_pk,
	    32) == 0);
	CHECK(access(nextpath, F_OK) == -1);
	hubkey_free(hk);

	/* After the insert: finished, the new key is the hub's. */
	CHECK(keyfile_save_hub(nextpath, &nx, NULL, CRYPTO_KDF_MODERATE, 0,
	    &why) == 0);
	record_rotation(st, &cur, &nx, T0 + 10 * BEAT_MS);
	CHECK((hk = hubkey_open(keydir, NULL, PREFIX, BEAT_MS, st, err,
	    sizeof(err))) != NULL);
	CHECK(hk != NULL && memcmp(hubkey_identity(hk)->sign_pk, nx.sign_pk,
	    32) == 0);
	CHECK(access(nextpath, F_OK) == -1);
	public_of(keypath, spk, kpk);
	CHECK(memcmp(spk, nx.sign_pk, 32) == 0);

	/* The same, found by a running hub (the CLI died before its
	 * rename): finished at the next look, nothing removed otherwise. */
	old = nx;
	CHECK(crypto_hub_new_signing_key(&nx, &old) == 0);
	CHECK(keyfile_save_hub(nextpath, &nx, NULL, CRYPTO_KDF_MODERATE, 0,
	    &why) == 0);
	CHECK(hk != NULL && hubkey_tick(hk, st, T0 + 11 * BEAT_MS, NULL,
	    NULL) == 0);	/* no row yet: left alone */
	CHECK(access(nextpath, F_OK) == 0);
	record_rotation(st, &old, &nx, T0 + 11 * BEAT_MS);
	{
		struct rec *r = calloc(1, sizeof(*r));

		CHECK(r != NULL && hk != NULL && hubkey_tick(hk, st,
		    T0 + 11 * BEAT_MS + 2000, record, r) == 1);
		CHECK(hk != NULL && memcmp(hubkey_identity(hk)->sign_pk,
		    nx.sign_pk, 32) == 0);
		free(r);
	}
	CHECK(access(nextpath, F_OK) == -1);
	hubkey_free(hk);

	/* A hub.key that is not the chain's newest (an old backup put
	 * back): refused, named. */
	CHECK(keyfile_save_hub(keypath, &cur, NULL, CRYPTO_KDF_MODERATE,
	    KEYFILE_REPLACE, &why) == 0);
	CHECK(hubkey_open(keydir, NULL, PREFIX, BEAT_MS, st, err,
	    sizeof(err)) == NULL);
	CHECK(strstr(err, "not the hub's current key") != NULL);
	/* ... and so does `key rotate`. */
	CHECK(cli_rotate() == 1);
	public_of(keypath, spk, kpk);
	CHECK(memcmp(spk, cur.sign_pk, 32) == 0);
	/* A left-over hub.key.next that cannot be read: refused, kept. */
	CHECK(keyfile_save_hub(keypath, &nx, NULL, CRYPTO_KDF_MODERATE,
	    KEYFILE_REPLACE, &why) == 0);
	{
		FILE *f = fopen(nextpath, "w");

		CHECK(f != NULL);
		if (f != NULL) {
			fputs("junk", f);
			fclose(f);
		}
		CHECK(chmod(nextpath, 0600) == 0);
	}
	CHECK(hubkey_open(keydir, NULL, PREFIX, BEAT_MS, st, err,
	    sizeof(err)) == NULL);
	CHECK(strstr(err, HUBKEY_FILE_NEXT) != NULL);
	CHECK(access(nextpath, F_OK) == 0);
	CHECK(unlink(nextpath) == 0);
	CHECK((hk = hubkey_open(keydir, NULL, PREFIX, BEAT_MS, st, err,
	    sizeof(err))) != NULL);
	hubkey_free(hk);

	crypto_wipe(&cur, sizeof(cur));
	crypto_wipe(&nx, sizeof(nx));
	crypto_wipe(&old, sizeof(old));
}

int
main(void)
{
	struct crypto_hub_identity	 id0;
	struct store			*st;
	const char			*why = NULL;
	char				 e[256], cmd[128];

	log_init("test_hubkey", 0);
	snprintf(tmp, sizeof(tmp), "/tmp/test_hubkey.XXXXXX");
	if (mkdtemp(tmp) == NULL)
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/hub.db", tmp);
	snprintf(keydir, sizeof(keydir), "%s/keys", tmp);
	snprintf(keypath, sizeof(keypath), "%s/%s", keydir, HUBKEY_FILE);
	snprintf(nextpath, sizeof(nextpath), "%s/%s", keydir,
	    HUBKEY_FILE_NEXT);
	snprintf(outpath, sizeof(outpath), "%s/out", tmp);
	CHECK(mkdir(keydir, 0700) == 0);
	if ((st = store_open(dbpath, 0, e, sizeof(e))) == NULL) {
		fprintf(stderr, "store_open: %s\n", e);
		return 1;
	}
	test_no_key(st);
	CHECK(crypto_hub_generate(&id0) == 0);
	CHECK(keyfile_save_hub(keypath, &id0, NULL, CRYPTO_KDF_MODERATE, 0,
	    &why) == 0);
	test_beat_and_rotation(st, &id0);
	test_interrupted(st);
	crypto_wipe(&id0, sizeof(id0));
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	CHECK(system(cmd) == 0);
	return check_done("test_hubkey");
}
