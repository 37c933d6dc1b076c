/*
 * hubkey.h - the hub's identity while it runs: loading it, the signed
 * heartbeat, and following a key rotation made by `stridehub key rotate`.
 *
 * The identity lives in <key_dir>/hub.key (keyfile.h); rotations are rows
 * of the store (the announcements, oldest first), so every hub sharing a
 * store follows the same chain. The CLI rotates in three steps: write
 * hub.key.next, insert the announcement, rename hub.key.next over hub.key.
 * hubkey_open finishes a rotation interrupted after the insert (the store
 * names the key in hub.key.next: rename it) and undoes one interrupted
 * before it (the store does not: remove hub.key.next).
 *
 * Publishing (docs/protocol.md, "the hub heartbeat" and "hub key
 * rotation"): the heartbeat, retained on <prefix>/v1/_hub/heartbeat, every
 * heartbeat_ms and after every (re)connect, its seq max(last + 1, now_ms)
 * so it only grows without being stored; the chain of the last
 * CRYPTO_ROT_CHAIN_MAX announcements, retained on <prefix>/v1/_hub/keys,
 * after a (re)connect and after a rotation (never while there has been
 * none).
 *
 * Not thread-safe: the worker's thread only. Secrets stay in the struct and
 * are wiped by hubkey_free.
 */
#ifndef HUB_HUBKEY_H
#define HUB_HUBKEY_H

#include <stddef.h>
#include <stdint.h>

#include "stride/crypto.h"

struct hubkey;
struct store;

/* Same shape as hub_publish_fn. */
typedef int (*hubkey_publish_fn)(void *arg, const char *topic,
	    const void *payload, size_t len, int qos, int retained);

#define HUBKEY_FILE		"hub.key"
#define HUBKEY_FILE_NEXT	"hub.key.next"

/*
 * Load <key_dir>/hub.key (pass: the passphrase, or NULL) after finishing
 * or undoing an interrupted rotation, and read the rotation chain from st.
 * A hub.key that is not the newest key of the chain is refused. NULL on
 * failure with the reason in err ("no hub key in DIR: run `stridehub key
 * init`", a refused file, ...). prefix is copied. The caller owns the
 * result: hubkey_free() it.
 */
struct hubkey	*hubkey_open(const char *key_dir, const char *pass,
		    const char *prefix, int64_t heartbeat_ms, struct store *st,
		    char *err, size_t errlen);
void		 hubkey_free(struct hubkey *);	/* NULL is a no-op */

/*
 * Finish or undo a rotation interrupted in <key_dir> (see above), against
 * the newest rotation of st: hub.key.next is renamed over hub.key if st
 * names its key; otherwise, with undo set, it is removed (an unreadable
 * one is left alone and refused). Returns 0 (nothing done), 1 (finished),
 * 2 (undone), or -1 with the reason in err. hubkey_open calls it with
 * undo; a running hub and `stridehub key rotate` without (a second
 * rotation may be under way: only a process starting alone may undo).
 */
int	hubkey_recover(const char *key_dir, struct store *st, int undo,
	    char *err, size_t errlen);

/* The current identity. The pointer stays valid for the life of the
 * hubkey; what it points to changes when a rotation is followed. */
const struct crypto_hub_identity *hubkey_identity(const struct hubkey *);

/*
 * Timed work, outside any transaction; call every tick: the heartbeat when
 * due, and at most once a second a look at the store for a newer rotation,
 * which is followed (hub.key loaded again, the chain and a heartbeat
 * published). Returns 1 if the identity changed (the caller re-seals every
 * device's plan), 0 if not, -1 if a rotation could not be followed (logged;
 * retried at the next look).
 */
int	hubkey_tick(struct hubkey *, struct store *st, int64_t now_ms,
	    hubkey_publish_fn publish, void *arg);

/* After a (re)connect: publish the heartbeat and the chain (if any) now. */
void	hubkey_announce(struct hubkey *, int64_t now_ms,
	    hubkey_publish_fn publish, void *arg);

#endif
