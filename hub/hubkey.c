/*
 * hubkey.c - see hubkey.h: the hub's identity while it runs, its signed
 * heartbeat, and following `stridehub key rotate`.
 *
 * Owns the loaded identity (secrets), a copy of the passphrase (to load
 * the next key after a rotation), the rotation chain as published, and
 * the heartbeat's counter. Never writes a key file (the CLI does); the
 * only file operations are finishing an interrupted rotation (rename
 * hub.key.next over hub.key) and, at start only, undoing one (removing
 * hub.key.next).
 *
 * Design notes:
 * 1. The store is the record of which key is current: a hub.key that is
 *    not the newest rotation's key is refused (at start) or not taken
 *    (while running, retried at the next look), so a stale backup of an
 *    old key never signs again: devices would refuse it as retired.
 * 2. Interrupted rotations (hubkey_recover). The CLI writes hub.key.next,
 *    inserts the announcement, renames. After the insert the store names
 *    the new key: finish by renaming. Before it the store does not: the
 *    new key was never announced, remove it. Removing is done only at
 *    start (allow_undo): a running hub that sees a rotation row may find
 *    the hub.key.next of a second `key rotate` still under way, which it
 *    must not destroy.
 * 3. Heartbeat seq = max(last + 1, now_ms): it grows across restarts
 *    without being stored, as long as the clock does not go back by more
 *    than the time the hub was down (devices then see "not newer" beats
 *    until the clock passes the old seq; their "hub not responding"
 *    warning says so).
 *
 * Threading: the worker's thread only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stride/crypto.h"
#include "stride/keyfile.h"
#include "stride/log.h"
#include "stride/topic.h"
#include "hubkey.h"
#include "store.h"

#define HUBKEY_PATH_MAX		4096
#define HUBKEY_LOOK_MS		1000	/* store polled for a rotation */
#define HUBKEY_RETRY_MS		1000	/* a failed publish tried again */
#define HUBKEY_BEAT_DEFAULT_MS	60000

struct hubkey {
	char		 key_dir[HUBKEY_PATH_MAX];
	char		 prefix[STRIDE_PREFIX_MAX + 1];
	char		*pass;		/* NULL or a copy; wiped */
	int64_t		 beat_every_ms;
	struct crypto_hub_identity id;	/* secret */
	uint8_t		 chain[CRYPTO_ROT_CHAIN_MAX * CRYPTO_ROT_BYTES];
	size_t		 nchain;	/* announcements in chain */
	int64_t		 rot_seen;	/* newest rotation id followed */
	uint64_t	 beat_seq;	/* last heartbeat seq signed */
	int64_t		 beat_next_ms;	/* heartbeat due (hub clock) */
	int64_t		 look_next_ms;	/* next look at the store */
	int		 chain_pending;	/* chain to (re)publish */
	struct log_rate	 rate;
};

static int
hubkey_path(char *buf, size_t len, const char *dir, const char *file)
{
	int n = snprintf(buf, len, "%s/%s", dir, file);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int
hubkey_recover_mode(const char *key_dir, struct store *st, int allow_undo,
    char *err, size_t errlen)
{
	struct store_rotation	 last;
	uint8_t			 spk[CRYPTO_SIGN_PK_BYTES];
	uint8_t			 kpk[CRYPTO_KX_PK_BYTES];
	char			 cur[HUBKEY_PATH_MAX], next[HUBKEY_PATH_MAX];
	const char		*why = NULL;
	int			 have;

	if (hubkey_path(cur, sizeof(cur), key_dir, HUBKEY_FILE) == -1 ||
	    hubkey_path(next, sizeof(next), key_dir, HUBKEY_FILE_NEXT) ==
	    -1) {
		snprintf(err, errlen, "key directory path too long");
		return -1;
	}
	if (access(next, F_OK) == -1 && errno == ENOENT)
		return 0;
	if (keyfile_public_hub(spk, kpk, next, &why) == -1) {
		snprintf(err, errlen, "%s: %s: an interrupted key rotation "
		    "left a file that cannot be read; fix or remove it", next,
		    why != NULL ? why : "cannot read");
		return -1;
	}
	if ((have = store_rotation_last(st, &last)) == -1) {
		snprintf(err, errlen, "cannot read the key rotations from "
		    "the store");
		return -1;
	}
	if (have == 0 && memcmp(last.sign_pk, spk, sizeof(spk)) == 0 &&
	    memcmp(last.kx_pk, kpk, sizeof(kpk)) == 0) {
		if (rename(next, cur) == -1) {
			/* Someone else (the CLI) finished it first. */
			if (errno == ENOENT)
				return 1;
			snprintf(err, errlen, "rename %s to %s: %s", next,
			    cur, strerror(errno));
			return -1;
		}
		(void)keyfile_sync_dir(cur);
		log_info("hub key: finished the interrupted rotation %lld",
		    (long long)last.id);
		return 1;
	}
	if (!allow_undo)
		return 0;
	if (unlink(next) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "remove %s: %s", next, strerror(errno));
		return -1;
	}
	(void)keyfile_sync_dir(next);
	log_warnx("hub key: removed %s: a rotation interrupted before it "
	    "was recorded (the current key stays)", next);
	return 2;
}

int
hubkey_recover(const char *key_dir, struct store *st, int undo, char *err,
    size_t errlen)
{
	return hubkey_recover_mode(key_dir, st, undo, err, errlen);
}

struct hubkey_chain {
	uint8_t			*buf;
	size_t			 n;
	struct store_rotation	*last;
};

static int
hubkey_chain_add(void *arg, const struct store_rotation *r)
{
	struct hubkey_chain *c = arg;

	if (c->n == CRYPTO_ROT_CHAIN_MAX)
		return -1;	/* the walk asked for at most that many */
	memcpy(c->buf + c->n * CRYPTO_ROT_BYTES, r->ann, CRYPTO_ROT_BYTES);
	c->n++;
	*c->last = *r;
	return 0;
}

/*
 * Load hub.key and the chain (design note 1) into hk; hk is unchanged on
 * failure (reason in err).
 */
static int
hubkey_load(struct hubkey *hk, struct store *st, char *err, size_t errlen)
{
	struct crypto_hub_identity	 id;
	struct store_rotation		 last;
	uint8_t				 chain[sizeof(hk->chain)];
	struct hubkey_chain		 c = { chain, 0, &last };
	char				 path[HUBKEY_PATH_MAX];
	char				 fp[CRYPTO_FP_TEXT_MAX];
	const char			*why = NULL;
	int				 rc;

	memset(&last, 0, sizeof(last));
	if (store_rotations_walk(st, CRYPTO_ROT_CHAIN_MAX, hubkey_chain_add,
	    &c) != 0) {
		snprintf(err, errlen, "cannot read the key rotations from "
		    "the store");
		return -1;
	}
	if (hubkey_path(path, sizeof(path), hk->key_dir, HUBKEY_FILE) ==
	    -1) {
		snprintf(err, errlen, "key directory path too long");
		return -1;
	}
	if (access(path, F_OK) == -1 && errno == ENOENT) {
		snprintf(err, errlen, "no hub key in %s: run `stridehub key "
		    "init`", hk->key_dir);
		return -1;
	}
	rc = keyfile_load_hub(&id, path, hk->pass, &why);
	if (rc == KEYFILE_NEED_PASSPHRASE) {
		snprintf(err, errlen, "%s is protected by a passphrase: set "
		    "key_passphrase_file", path);
		return -1;
	}
	if (rc != KEYFILE_OK) {
		snprintf(err, errlen, "%s: %s", path, why != NULL ? why :
		    "cannot load");
		return -1;
	}
	if (c.n > 0 && (memcmp(id.sign_pk, last.sign_pk,
	    sizeof(id.sign_pk)) != 0 || memcmp(id.kx_pk, last.kx_pk,
	    sizeof(id.kx_pk)) != 0)) {
		crypto_fp_text(fp, last.sign_pk);
		snprintf(err, errlen, "%s is not the hub's current key: the "
		    "store's newest rotation (%lld) made key %s; restore that "
		    "key file", path, (long long)last.id, fp);
		crypto_wipe(&id, sizeof(id));
		return -1;
	}
	hk->id = id;
	crypto_wipe(&id, sizeof(id));
	memcpy(hk->chain, chain, c.n * CRYPTO_ROT_BYTES);
	hk->nchain = c.n;
	hk->rot_seen = c.n > 0 ? last.id : 0;
	return 0;
}

struct hubkey *
hubkey_open(const char *key_dir, const char *pass, const char *prefix,
    int64_t heartbeat_ms, struct store *st, char *err, size_t errlen)
{
	struct hubkey	*hk;
	char		 dummy[1];
	char		 fp[CRYPTO_FP_TEXT_MAX];

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (key_dir == NULL || *key_dir == '\0' || prefix == NULL ||
	    !topic_prefix_valid(prefix)) {
		snprintf(err, errlen, "no key directory or a bad prefix");
		return NULL;
	}
	if ((hk = calloc(1, sizeof(*hk))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (snprintf(hk->key_dir, sizeof(hk->key_dir), "%s", key_dir) >=
	    (int)sizeof(hk->key_dir)) {
		snprintf(err, errlen, "key directory path too long");
		goto fail;
	}
	snprintf(hk->prefix, sizeof(hk->prefix), "%s", prefix);
	if (pass != NULL && (hk->pass = strdup(pass)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	hk->beat_every_ms = heartbeat_ms > 0 ? heartbeat_ms :
	    HUBKEY_BEAT_DEFAULT_MS;
	if (hubkey_recover_mode(key_dir, st, 1, err, errlen) == -1 ||
	    hubkey_load(hk, st, err, errlen) == -1)
		goto fail;
	crypto_fp_text(fp, hk->id.sign_pk);
	log_info("hub key %s loaded (%zu rotation%s in the chain)", fp,
	    hk->nchain, hk->nchain == 1 ? "" : "s");
	return hk;
fail:
	hubkey_free(hk);
	return NULL;
}

void
hubkey_free(struct hubkey *hk)
{
	if (hk == NULL)
		return;
	if (hk->pass != NULL) {
		crypto_wipe(hk->pass, strlen(hk->pass));
		free(hk->pass);
	}
	crypto_wipe(hk, sizeof(*hk));
	free(hk);
}

const struct crypto_hub_identity *
hubkey_identity(const struct hubkey *hk)
{
	return &hk->id;
}

static int
hubkey_send_beat(struct hubkey *hk, int64_t now_ms, hubkey_publish_fn publish,
    void *arg)
{
	uint8_t		b[CRYPTO_BEAT_BYTES];
	char		topic[STRIDE_TOPIC_MAX];
	uint64_t	seq;

	seq = hk->beat_seq + 1;
	if (now_ms > 0 && (uint64_t)now_ms > seq)
		seq = (uint64_t)now_ms;
	if (now_ms < 0 || crypto_beat_sign(b, now_ms, seq, &hk->id) == -1 ||
	    topic_build_hub(topic, sizeof(topic), hk->prefix,
	    TOPIC_HUB_HEARTBEAT) < 0)
		return -1;
	hk->beat_seq = seq;
	return publish(arg, topic, b, sizeof(b), 1, 1);
}

static int
hubkey_send_chain(struct hubkey *hk, hubkey_publish_fn publish, void *arg)
{
	char	topic[STRIDE_TOPIC_MAX];

	if (hk->nchain == 0)
		return 0;	/* never a rotation: nothing is published */
	if (topic_build_hub(topic, sizeof(topic), hk->prefix,
	    TOPIC_HUB_KEYS) < 0)
		return -1;
	return publish(arg, topic, hk->chain, hk->nchain * CRYPTO_ROT_BYTES,
	    1, 1);
}

void
hubkey_announce(struct hubkey *hk, int64_t now_ms, hubkey_publish_fn publish,
    void *arg)
{
	if (publish == NULL)
		return;
	hk->chain_pending = hubkey_send_chain(hk, publish, arg) == -1;
	hk->beat_next_ms = now_ms + (hubkey_send_beat(hk, now_ms, publish,
	    arg) == -1 ? HUBKEY_RETRY_MS : hk->beat_every_ms);
}

/* A newer rotation in the store: take the new key (design note 2).
 * 1 followed, 0 nothing new, -1 not yet (logged). */
static int
hubkey_follow(struct hubkey *hk, struct store *st)
{
	char	err[512], fp[CRYPTO_FP_TEXT_MAX];
	int64_t	last;

	if (store_rotation_last_id(st, &last) == -1)
		return -1;
	if (last <= hk->rot_seen)
		return 0;
	if (hubkey_recover_mode(hk->key_dir, st, 0, err, sizeof(err)) == -1 ||
	    hubkey_load(hk, st, err, sizeof(err)) == -1) {
		log_rate_warnx(&hk->rate, "hub key: rotation %lld not "
		    "followed yet: %s", (long long)last, err);
		return -1;
	}
	crypto_fp_text(fp, hk->id.sign_pk);
	log_info("hub key: now %s (rotation %lld followed)",
	    fp, (long long)hk->rot_seen);
	return 1;
}

int
hubkey_tick(struct hubkey *hk, struct store *st, int64_t now_ms,
    hubkey_publish_fn publish, void *arg)
{
	int	rc = 0;

	if (now_ms >= hk->look_next_ms ||
	    hk->look_next_ms - now_ms > HUBKEY_LOOK_MS) {	/* clock set back */
		hk->look_next_ms = now_ms + HUBKEY_LOOK_MS;
		if ((rc = hubkey_follow(hk, st)) == 1) {
			hk->chain_pending = 1;
			hk->beat_next_ms = now_ms;	/* under the new key */
		}
	}
	if (publish == NULL)
		return rc;	/* not connected: the next announce sends */
	if (hk->chain_pending)
		hk->chain_pending = hubkey_send_chain(hk, publish, arg) == -1;
	if (now_ms >= hk->beat_next_ms ||
	    hk->beat_next_ms - now_ms > hk->beat_every_ms)
		hk->beat_next_ms = now_ms + (hubkey_send_beat(hk, now_ms,
		    publish, arg) == -1 ? HUBKEY_RETRY_MS : hk->beat_every_ms);
	return rc;
}
