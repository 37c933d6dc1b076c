/*
 * test_agent_ident.c - the device's key, trust and plan files (agents/
 * ident.c) with real keys in a temp directory: keygen and enrol (files,
 * modes, refusals), loading for a run, the plan-acceptance sequence of
 * docs/protocol.md 19.3 (new, same, older, expired, another device's,
 * a hostile JSON, a power cut between the two writes), heartbeats and a
 * hub key rotation (kept and changed X25519 key, a forged chain).
 * No broker: the hub side is crypto.h itself, as the hub uses it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "ident.h"
#include "stride/crypto.h"
#include "stride/keyfile.h"
#include "stride/log.h"
#include "stride/plan.h"

#define RUNNER	"ann"
#define DEVICE	"watch"
#define DAY_MS	86400000LL

static char	dir[256];

static void
path_of(char *buf, size_t cap, const char *ext)
{
	CHECK(ident_path(buf, cap, dir, DEVICE, ext) == 0);
}

/* Bytes of a file; -1 if it cannot be read. */
static long
file_read(const char *ext, void *buf, size_t cap)
{
	char	 path[512];
	FILE	*f;
	size_t	 n;

	path_of(path, sizeof(path), ext);
	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return (long)n;
}

static int
file_mode(const char *ext)
{
	char		path[512];
	struct stat	st;

	path_of(path, sizeof(path), ext);
	if (stat(path, &st) == -1)
		return -1;
	return (int)(st.st_mode & 07777);
}

/* The trust state as on disk now. */
static int
disk_trust(struct crypto_trust *t)
{
	uint8_t		 buf[CRYPTO_TRUST_BYTES + 1];
	const char	*why;
	long		 n = file_read(".trust", buf, sizeof(buf));

	return n < 0 ? -1 : crypto_trust_load(t, buf, (size_t)n, &why);
}

static void
sample_plan(struct plan *p, uint32_t ver, int64_t now)
{
	memset(p, 0, sizeof(*p));
	p->version = ver;
	p->issued_ms = now;
	p->phase = PLAN_PHASE_RETURN;
	p->phase_since_ms = now - DAY_MS;
	p->max_distance_m = 4000 + ver;
	p->max_duration_s = 1800;
	p->speed_cap_mps = 3.1;
	p->max_grade_pct = 2.0;
	p->stop = PLAN_STOP_PAIN;
	p->load_since_ms = now;
	snprintf(p->text, sizeof(p->text), "Plan %u.", (unsigned)ver);
}

/* Seal JSON for (runner, device, dev_pk) at version v, valid [iss, exp). */
static size_t
seal_json(uint8_t *out, const char *json, size_t jlen, const char *runner,
    const char *device, const uint8_t *dev_pk, uint64_t v, int64_t iss,
    int64_t exp, const struct crypto_hub_identity *hub)
{
	struct crypto_plan_to	to;
	size_t			len = 0;

	to.runner = runner;
	to.device = device;
	to.device_kx_pk = dev_pk;
	to.version = v;
	to.issued_ms = iss;
	to.expires_ms = exp;
	CHECK(crypto_plan_seal(out, CRYPTO_PLAN_SEALED_MAX, &len, json, jlen,
	    &to, hub) == 0);
	return len;
}

static size_t
seal_plan(uint8_t *out, uint32_t ver, uint64_t v, int64_t iss, int64_t exp,
    const uint8_t *dev_pk, const struct crypto_hub_identity *hub)
{
	struct plan	p;
	char		json[PLAN_JSON_MAX + 1];
	int		n;

	sample_plan(&p, ver, iss);
	n = plan_encode(&p, json, sizeof(json));
	CHECK(n > 0);
	return seal_json(out, json, (size_t)n, RUNNER, DEVICE, dev_pk, v, iss,
	    exp, hub);
}

static void
test_keygen_enrol(const struct crypto_hub_identity *hub)
{
	char		 pk[KEYFILE_DEV_PK_TEXT_MAX], fp[CRYPTO_FP_TEXT_MAX];
	char		 pk2[KEYFILE_DEV_PK_TEXT_MAX], fp2[CRYPTO_FP_TEXT_MAX];
	char		 sfp[CRYPTO_FP_TEXT_MAX], kfp[CRYPTO_FP_TEXT_MAX];
	char		 want[CRYPTO_FP_TEXT_MAX], hubtext[KEYFILE_HUB_PK_TEXT_MAX];
	char		 err[512], path[512];
	uint8_t		 pub[CRYPTO_KX_PK_BYTES], parsed[CRYPTO_KX_PK_BYTES];
	uint8_t		 before[KEYFILE_MAX], after[KEYFILE_MAX];
	struct crypto_trust t;
	struct stat	 st;
	const char	*why;
	long		 n1, n2;

	/* keygen makes the missing directory, private. */
	CHECK(ident_keygen(dir, DEVICE, NULL, 0, pk, fp, err,
	    sizeof(err)) == IDENT_OK);
	CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK(file_mode(".key") == 0600);
	path_of(path, sizeof(path), ".key");
	CHECK(keyfile_public_device(pub, path, &why) == 0);
	CHECK(keyfile_dev_pk_parse(parsed, pk, &why) == 0);
	CHECK(memcmp(pub, parsed, sizeof(pub)) == 0);
	crypto_fp_text(want, pub);
	CHECK(strcmp(fp, want) == 0);

	/* Never replaced without --replace: same bytes after. */
	n1 = file_read(".key", before, sizeof(before));
	CHECK(ident_keygen(dir, DEVICE, NULL, 0, pk2, fp2, err,
	    sizeof(err)) == IDENT_ERR);
	CHECK(strstr(err, "exists") != NULL);
	n2 = file_read(".key", after, sizeof(after));
	CHECK(n1 > 0 && n1 == n2 && memcmp(before, after, (size_t)n1) == 0);

	/* --replace: a different key, and the old key's plan is gone. */
	path_of(path, sizeof(path), ".plan");
	CHECK(keyfile_write_atomic(path, "x", 1, 0, &why) == 0);
	CHECK(ident_keygen(dir, DEVICE, NULL, 1, pk2, fp2, err,
	    sizeof(err)) == IDENT_OK);
	CHECK(strcmp(pk, pk2) != 0 && strcmp(fp, fp2) != 0);
	CHECK(file_mode(".key") == 0600);
	CHECK(access(path, F_OK) == -1 && errno == ENOENT);

	/* enrol: malformed keys refused, nothing written. */
	CHECK(keyfile_hub_pk_format(hubtext, sizeof(hubtext), hub->sign_pk,
	    hub->kx_pk) == 0);
	CHECK(ident_enrol(dir, DEVICE, "stride-hub-pk1:AAAA", 0, sfp, kfp, err,
	    sizeof(err)) == IDENT_ERR);
	CHECK(ident_enrol(dir, DEVICE, pk, 0, sfp, kfp, err,
	    sizeof(err)) == IDENT_ERR);	/* a device key is not a hub key */
	CHECK(file_mode(".trust") == -1);

	CHECK(ident_enrol(dir, DEVICE, hubtext, 0, sfp, kfp, err,
	    sizeof(err)) == IDENT_OK);
	CHECK(file_mode(".trust") == 0600);
	CHECK(file_read(".trust", before, sizeof(before)) ==
	    CRYPTO_TRUST_BYTES);
	CHECK(disk_trust(&t) == 0);
	CHECK(memcmp(t.hub_sign_pk, hub->sign_pk, CRYPTO_SIGN_PK_BYTES) == 0);
	CHECK(memcmp(t.hub_kx_pk, hub->kx_pk, CRYPTO_KX_PK_BYTES) == 0);
	CHECK(t.plan_version == 0 && t.beat_seq == 0);
	crypto_fp_text(want, hub->sign_pk);
	CHECK(strcmp(sfp, want) == 0);
	crypto_fp_text(want, hub->kx_pk);
	CHECK(strcmp(kfp, want) == 0);
	CHECK(strcmp(sfp, kfp) != 0);

	/* Enrolled once: a second enrol is refused unless --replace. */
	CHECK(ident_enrol(dir, DEVICE, hubtext, 0, sfp, kfp, err,
	    sizeof(err)) == IDENT_ERR);
	CHECK(strstr(err, "already enrolled") != NULL);
	CHECK(ident_enrol(dir, DEVICE, hubtext, 1, sfp, kfp, err,
	    sizeof(err)) == IDENT_OK);
}

static void
test_load(const struct crypto_hub_identity *hub)
{
	struct ident		 id;
	struct crypto_session	 hs;
	char			 pk[KEYFILE_DEV_PK_TEXT_MAX], fp[CRYPTO_FP_TEXT_MAX];
	char			 err[512], path[512], other[300];
	uint8_t			 dev_pk[CRYPTO_KX_PK_BYTES];
	const char		*why;

	snprintf(other, sizeof(other), "%s/other", dir);
	/* Nothing at all, then a key without trust. */
	CHECK(ident_load(&id, other, RUNNER, DEVICE, NULL, err,
	    sizeof(err)) == IDENT_NO_KEY);
	CHECK(ident_keygen(other, DEVICE, NULL, 0, pk, fp, err,
	    sizeof(err)) == IDENT_OK);
	CHECK(ident_load(&id, other, RUNNER, DEVICE, NULL, err,
	    sizeof(err)) == IDENT_NOT_ENROLLED);

	/* The real one: the session matches the hub's for this device. */
	CHECK(ident_load(&id, dir, RUNNER, DEVICE, NULL, err,
	    sizeof(err)) == IDENT_OK);
	path_of(path, sizeof(path), ".key");
	CHECK(keyfile_public_device(dev_pk, path, &why) == 0);
	CHECK(crypto_session_hub(&hs, hub, dev_pk) == 0);
	CHECK(memcmp(id.sess.rx, hs.tx, CRYPTO_KEY_BYTES) == 0);
	CHECK(memcmp(id.sess.tx, hs.rx, CRYPTO_KEY_BYTES) == 0);
	ident_wipe(&id);

	/* A trust file others may read is refused. */
	path_of(path, sizeof(path), ".trust");
	CHECK(chmod(path, 0644) == 0);
	CHECK(ident_load(&id, dir, RUNNER, DEVICE, NULL, err,
	    sizeof(err)) == IDENT_ERR);
	CHECK(chmod(path, 0600) == 0);
	/* A corrupt one too. */
	{
		uint8_t buf[CRYPTO_TRUST_BYTES], bad[CRYPTO_TRUST_BYTES];

		CHECK(file_read(".trust", buf, sizeof(buf)) ==
		    CRYPTO_TRUST_BYTES);
		memcpy(bad, buf, sizeof(bad));
		bad[20] ^= 1;
		CHECK(keyfile_write_atomic(path, bad, sizeof(bad),
		    KEYFILE_REPLACE, &why) == 0);
		CHECK(ident_load(&id, dir, RUNNER, DEVICE, NULL, err,
		    sizeof(err)) == IDENT_ERR);
		CHECK(strstr(err, "corrupt") != NULL);
		CHECK(keyfile_write_atomic(path, buf, sizeof(buf),
		    KEYFILE_REPLACE, &why) == 0);
	}
}

static void
test_passphrase(const struct crypto_hub_identity *hub)
{
	struct ident	 id;
	char		 pk[KEYFILE_DEV_PK_TEXT_MAX], fp[CRYPTO_FP_TEXT_MAX];
	char		 hubtext[KEYFILE_HUB_PK_TEXT_MAX];
	char		 err[512], other[300], pf[320], pass[IDENT_PASS_MAX];
	const char	*why;

	snprintf(other, sizeof(other), "%s/pass", dir);
	snprintf(pf, sizeof(pf), "%s/passfile", dir);
	/* First line only; a readable passphrase file is refused. */
	CHECK(keyfile_write_atomic(pf, "s3cret words\nignored\n", 21, 0,
	    &why) == 0);
	CHECK(ident_passphrase(pf, pass, sizeof(pass), err,
	    sizeof(err)) == 0);
	CHECK(strcmp(pass, "s3cret words") == 0);
	CHECK(chmod(pf, 0640) == 0);
	CHECK(ident_passphrase(pf, pass, sizeof(pass), err,
	    sizeof(err)) == -1);
	CHECK(pass[0] == '\0');		/* wiped on failure */
	CHECK(chmod(pf, 0600) == 0);
	CHECK(ident_passphrase(pf, pass, sizeof(pass), err,
	    sizeof(err)) == 0);

	CHECK(ident_keygen(other, DEVICE, pass, 0, pk, fp, err,
	    sizeof(err)) == IDENT_OK);
	CHECK(keyfile_hub_pk_format(hubtext, sizeof(hubtext), hub->sign_pk,
	    hub->kx_pk) == 0);
	CHECK(ident_enrol(other, DEVICE, hubtext, 0, fp, fp, err,
	    sizeof(err)) == IDENT_OK);
	CHECK(ident_load(&id, other, RUNNER, DEVICE, NULL, err,
	    sizeof(err)) == IDENT_NEED_PASS);
	CHECK(ident_load(&id, other, RUNNER, DEVICE, "wrong", err,
	    sizeof(err)) == IDENT_ERR);
	CHECK(ident_load(&id, other, RUNNER, DEVICE, pass, err,
	    sizeof(err)) == IDENT_OK);
	ident_wipe(&id);
	crypto_wipe(pass, sizeof(pass));
}

static void
test_plans(const struct crypto_hub_identity *hub)
{
	struct ident		 id;
	struct crypto_plan_info	 info;
	struct crypto_trust	 t;
	struct crypto_device_key other_dev;
	struct crypto_session	 hs;
	struct plan		 p;
	enum crypto_plan_verdict v;
	uint8_t			 s1[CRYPTO_PLAN_SEALED_MAX], s2[CRYPTO_PLAN_SEALED_MAX];
	uint8_t			 s3[CRYPTO_PLAN_SEALED_MAX];
	uint8_t			 disk[CRYPTO_PLAN_SEALED_MAX + 1];
	uint8_t			 signed_plan[CRYPTO_PLAN_SIGNED_MAX];
	uint8_t			 dev_pk[CRYPTO_KX_PK_BYTES];
	char			 err[512], path[512], json[PLAN_JSON_MAX + 1];
	const char		*why;
	struct crypto_plan_to	 to;
	size_t			 l1, l2, l3, sl;
	int64_t			 now = clock_now_ms();
	int			 n;

	CHECK(ident_load(&id, dir, RUNNER, DEVICE, NULL, err,
	    sizeof(err)) == IDENT_OK);
	memcpy(dev_pk, id.key.kx_pk, sizeof(dev_pk));

	/* No stored plan yet. */
	CHECK(ident_plan_restore(&id, now, &p, &info, &v, &why) == 0);

	/* NEW: decoded, stored byte for byte, then the version saved. */
	l1 = seal_plan(s1, 3, 1, now, now + 7 * DAY_MS, dev_pk, hub);
	why = NULL;
	CHECK(ident_plan_take(&id, s1, l1, now, &p, &info, &why) ==
	    CRYPTO_PLAN_NEW);
	CHECK(p.version == 3 && p.max_distance_m == 4003);
	CHECK(info.version == 1);
	CHECK(file_read(".plan", disk, sizeof(disk)) == (long)l1 &&
	    memcmp(disk, s1, l1) == 0);
	CHECK(file_mode(".plan") == 0600);
	CHECK(disk_trust(&t) == 0 && t.plan_version == 1);
	CHECK(id.trust.plan_version == 1);

	/* SAME: the retained copy again; nothing changes. */
	CHECK(ident_plan_take(&id, s1, l1, now, &p, &info, &why) ==
	    CRYPTO_PLAN_SAME);
	CHECK(p.version == 3);
	/* SAME with no stored copy (keygen --replace removed it): stored. */
	{
		char plan_path[512];

		path_of(plan_path, sizeof(plan_path), ".plan");
		CHECK(unlink(plan_path) == 0);
		CHECK(ident_plan_take(&id, s1, l1, now, &p, &info, &why) ==
		    CRYPTO_PLAN_SAME);
		CHECK(file_read(".plan", disk, sizeof(disk)) == (long)l1 &&
		    memcmp(disk, s1, l1) == 0);
	}

	/* A newer one replaces it. */
	l2 = seal_plan(s2, 4, 2, now, now + 7 * DAY_MS, dev_pk, hub);
	CHECK(ident_plan_take(&id, s2, l2, now, &p, &info, &why) ==
	    CRYPTO_PLAN_NEW);
	CHECK(p.version == 4 && info.version == 2);
	CHECK(disk_trust(&t) == 0 && t.plan_version == 2);

	/* Rollback: the old retained plan is refused; disk unchanged. */
	why = NULL;
	CHECK(ident_plan_take(&id, s1, l1, now, &p, &info, &why) ==
	    CRYPTO_PLAN_BAD);
	CHECK(why != NULL && strstr(why, "older") != NULL);
	CHECK(file_read(".plan", disk, sizeof(disk)) == (long)l2 &&
	    memcmp(disk, s2, l2) == 0);
	CHECK(disk_trust(&t) == 0 && t.plan_version == 2);

	/* Expired (a newer version, but past its expiry): not stored. */
	l3 = seal_plan(s3, 5, 3, now - 9 * DAY_MS, now - 2 * DAY_MS, dev_pk,
	    hub);
	CHECK(ident_plan_take(&id, s3, l3, now, &p, &info, &why) ==
	    CRYPTO_PLAN_EXPIRED);
	CHECK(info.version == 3 && info.expires_ms == now - 2 * DAY_MS);
	CHECK(file_read(".plan", disk, sizeof(disk)) == (long)l2);
	CHECK(disk_trust(&t) == 0 && t.plan_version == 2);

	/* Another device's plan on our topic: does not even open. */
	CHECK(crypto_device_generate(&other_dev) == 0);
	sl = seal_json(s3, "{}", 2, RUNNER, "pod", other_dev.kx_pk, 9, now,
	    now + DAY_MS, hub);
	CHECK(ident_plan_take(&id, s3, sl, now, &p, &info, &why) ==
	    CRYPTO_PLAN_BAD);
	/* Signed for another device, re-encrypted to us: still refused. */
	sample_plan(&p, 9, now);
	n = plan_encode(&p, json, sizeof(json));
	to.runner = RUNNER;
	to.device = "pod";
	to.device_kx_pk = other_dev.kx_pk;
	to.version = 9;
	to.issued_ms = now;
	to.expires_ms = now + DAY_MS;
	CHECK(crypto_plan_sign(signed_plan, sizeof(signed_plan), &sl, json,
	    (size_t)n, &to, hub) == 0);
	CHECK(crypto_session_hub(&hs, hub, dev_pk) == 0);
	CHECK(crypto_plan_wrap(s3, sizeof(s3), &l3, signed_plan, sl, RUNNER,
	    DEVICE, hs.tx) == 0);
	why = NULL;
	CHECK(ident_plan_take(&id, s3, l3, now, &p, &info, &why) ==
	    CRYPTO_PLAN_BAD);
	CHECK(why != NULL && strstr(why, "another device") != NULL);
	/* Signed for our key but by a stranger: refused. */
	{
		struct crypto_hub_identity evil;

		CHECK(crypto_hub_generate(&evil) == 0);
		sl = seal_plan(s3, 9, 9, now, now + DAY_MS, dev_pk, &evil);
		CHECK(ident_plan_take(&id, s3, sl, now, &p, &info, &why) ==
		    CRYPTO_PLAN_BAD);
		crypto_wipe(&evil, sizeof(evil));
	}
	/* Authentic, but a JSON plan_decode refuses: nothing stored. */
	sl = seal_json(s3, "{\"v\":1}", 7, RUNNER, DEVICE, dev_pk, 9, now,
	    now + DAY_MS, hub);
	CHECK(ident_plan_take(&id, s3, sl, now, &p, &info, &why) ==
	    CRYPTO_PLAN_BAD);
	CHECK(file_read(".plan", disk, sizeof(disk)) == (long)l2);
	CHECK(disk_trust(&t) == 0 && t.plan_version == 2);
	/* Garbage, truncated. */
	CHECK(ident_plan_take(&id, s2, l2 - 1, now, &p, &info, &why) ==
	    CRYPTO_PLAN_BAD);
	CHECK(ident_plan_take(&id, "S", 1, now, &p, &info, &why) ==
	    CRYPTO_PLAN_BAD);
	ident_wipe(&id);

	/* Restart: the stored plan comes back SAME. */
	CHECK(ident_load(&id, dir, RUNNER, DEVICE, NULL, err,
	    sizeof(err)) == IDENT_OK);
	memset(&p, 0, sizeof(p));
	CHECK(ident_plan_restore(&id, now, &p, &info, &v, &why) == 1);
	CHECK(v == CRYPTO_PLAN_SAME && p.version == 4 && info.version == 2);

	/* Power cut after the plan was stored, before the version: NEW at
	 * boot, and the version is saved then. */
	l3 = seal_plan(s3, 6, 4, now, now + 7 * DAY_MS, dev_pk, hub);
	path_of(path, sizeof(path), ".plan");
	CHECK(keyfile_write_atomic(path, s3, l3, KEYFILE_REPLACE, &why) == 0);
	ident_wipe(&id);
	CHECK(ident_load(&id, dir, RUNNER, DEVICE, NULL, err,
	    sizeof(err)) == IDENT_OK);
	CHECK(id.trust.plan_version == 2);
	CHECK(ident_plan_restore(&id, now, &p, &info, &v, &why) == 1);
	CHECK(v == CRYPTO_PLAN_NEW && p.version == 6 && info.version == 4);
	CHECK(disk_trust(&t) == 0 && t.plan_version == 4);
	CHECK(ident_plan_restore(&id, now, &p, &info, &v, &why) == 1);
	CHECK(v == CRYPTO_PLAN_SAME);

	/* Later the stored plan expires: flagged, still given. */
	CHECK(ident_plan_restore(&id, now + 8 * DAY_MS, &p, &info, &v,
	    &why) == 1);
	CHECK(v == CRYPTO_PLAN_EXPIRED && p.version == 6);

	/* A damaged stored plan is BAD, never trusted. */
	memcpy(disk, s3, l3);
	disk[l3 / 2] ^= 0x40;
	CHECK(keyfile_write_atomic(path, disk, l3, KEYFILE_REPLACE,
	    &why) == 0);
	CHECK(ident_plan_restore(&id, now, &p, &info, &v, &why) == 1);
	CHECK(v == CRYPTO_PLAN_BAD);
	CHECK(keyfile_write_atomic(path, s3, l3, KEYFILE_REPLACE, &why) == 0);
	ident_wipe(&id);
}

static void
test_beat_and_keys(struct crypto_hub_identity *hub)
{
	struct ident		 id;
	struct crypto_hub_identity next, third;
	struct crypto_trust	 t;
	struct crypto_session	 hs;
	struct crypto_plan_info	 info;
	struct plan		 p;
	uint8_t			 beat[CRYPTO_BEAT_BYTES];
	uint8_t			 chain[2 * CRYPTO_ROT_BYTES];
	uint8_t			 sealed[CRYPTO_PLAN_SEALED_MAX];
	uint8_t			 before[CRYPTO_TRUST_BYTES];
	uint8_t			 after[CRYPTO_TRUST_BYTES];
	char			 err[512];
	const char		*why;
	unsigned		 applied;
	int			 kxc;
	int64_t			 now = clock_now_ms();
	size_t			 sl;

	CHECK(ident_load(&id, dir, RUNNER, DEVICE, NULL, err,
	    sizeof(err)) == IDENT_OK);

	/* Heartbeats: new, then not newer; a forged one refused. */
	CHECK(crypto_beat_sign(beat, now - 20 * 60000, 100, hub) == 0);
	CHECK(ident_beat(&id, beat, sizeof(beat), &why) == 0);
	CHECK(id.beat_dirty == 1);
	CHECK(crypto_trust_beat_age_ms(&id.trust, now) >= 20 * 60000);
	CHECK(ident_beat(&id, beat, sizeof(beat), &why) == 1);
	CHECK(crypto_beat_sign(beat, now, 99, hub) == 0);
	CHECK(ident_beat(&id, beat, sizeof(beat), &why) == 1);	/* older */
	CHECK(crypto_beat_sign(beat, now, 101, hub) == 0);
	beat[20] ^= 1;
	CHECK(ident_beat(&id, beat, sizeof(beat), &why) == -1);
	beat[20] ^= 1;
	CHECK(ident_beat(&id, beat, sizeof(beat) - 1, &why) == -1);
	CHECK(ident_beat(&id, beat, sizeof(beat), &why) == 0);
	CHECK(crypto_trust_beat_age_ms(&id.trust, now) < 60000);
	/* Saved lazily: only when asked. */
	CHECK(disk_trust(&t) == 0 && t.beat_seq == 0);
	CHECK(ident_trust_save(&id) == 0 && id.beat_dirty == 0);
	CHECK(disk_trust(&t) == 0 && t.beat_seq == 101);

	/* A forged chain: nothing changes, on disk or in memory. */
	CHECK(crypto_hub_new_signing_key(&next, hub) == 0);
	CHECK(crypto_rot_sign(chain, now, hub, &next) == 0);
	chain[100] ^= 1;	/* the old key's signature */
	CHECK(file_read(".trust", before, sizeof(before)) ==
	    CRYPTO_TRUST_BYTES);
	CHECK(ident_keys(&id, chain, CRYPTO_ROT_BYTES, &applied, &kxc,
	    &why) == -1);
	CHECK(file_read(".trust", after, sizeof(after)) ==
	    CRYPTO_TRUST_BYTES && memcmp(before, after, sizeof(after)) == 0);
	CHECK(memcmp(id.trust.hub_sign_pk, hub->sign_pk,
	    CRYPTO_SIGN_PK_BYTES) == 0);
	chain[100] ^= 1;

	/* The real one: saved, the X25519 key (and session) kept. */
	CHECK(ident_keys(&id, chain, CRYPTO_ROT_BYTES, &applied, &kxc,
	    &why) == 0);
	CHECK(applied == 1 && kxc == 0);
	CHECK(disk_trust(&t) == 0 && memcmp(t.hub_sign_pk, next.sign_pk,
	    CRYPTO_SIGN_PK_BYTES) == 0 && t.nretired == 1);
	CHECK(t.plan_version == id.trust.plan_version && t.beat_seq == 101);
	/* Again (the retained chain on the next connect): nothing. */
	CHECK(ident_keys(&id, chain, CRYPTO_ROT_BYTES, &applied, &kxc,
	    &why) == 0 && applied == 0);
	/* The old key is retired: its plans and heartbeats are refused. */
	sl = seal_plan(sealed, 7, 50, now, now + DAY_MS, id.key.kx_pk, hub);
	why = NULL;
	CHECK(ident_plan_take(&id, sealed, sl, now, &p, &info, &why) ==
	    CRYPTO_PLAN_BAD);
	CHECK(why != NULL && strstr(why, "retired") != NULL);
	CHECK(crypto_beat_sign(beat, now, 200, hub) == 0);
	CHECK(ident_beat(&id, beat, sizeof(beat), &why) == -1);
	/* The new key's are taken. */
	sl = seal_plan(sealed, 7, 50, now, now + DAY_MS, id.key.kx_pk, &next);
	CHECK(ident_plan_take(&id, sealed, sl, now, &p, &info, &why) ==
	    CRYPTO_PLAN_NEW);

	/* A chain of two, the second changing the X25519 key too: the
	 * session is derived again, matching the hub's new one. */
	CHECK(crypto_hub_generate(&third) == 0);
	/* chain[0..216) is the first rotation: already applied. */
	CHECK(crypto_rot_sign(chain + CRYPTO_ROT_BYTES, now + 1, &next,
	    &third) == 0);
	CHECK(ident_keys(&id, chain, sizeof(chain), &applied, &kxc,
	    &why) == 0);
	CHECK(applied == 1 && kxc == 1);
	CHECK(crypto_session_hub(&hs, &third, id.key.kx_pk) == 0);
	CHECK(memcmp(id.sess.rx, hs.tx, CRYPTO_KEY_BYTES) == 0);
	CHECK(memcmp(id.sess.tx, hs.rx, CRYPTO_KEY_BYTES) == 0);
	CHECK(disk_trust(&t) == 0 && memcmp(t.hub_kx_pk, third.kx_pk,
	    CRYPTO_KX_PK_BYTES) == 0 && t.nretired == 2);
	/* Plans sealed under the new X25519 key open. */
	sl = seal_plan(sealed, 8, 51, now, now + DAY_MS, id.key.kx_pk, &third);
	CHECK(ident_plan_take(&id, sealed, sl, now, &p, &info, &why) ==
	    CRYPTO_PLAN_NEW);
	ident_wipe(&id);
	crypto_wipe(&next, sizeof(next));
	crypto_wipe(&third, sizeof(third));
}

int
main(void)
{
	struct crypto_hub_identity hub;
	char	cmd[300];
	char	tmpl[] = "/tmp/test_agent_ident.XXXXXX";

	log_init("test_agent_ident", 0);
	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/state", tmpl);
	CHECK(crypto_hub_generate(&hub) == 0);
	test_keygen_enrol(&hub);
	test_load(&hub);
	test_passphrase(&hub);
	test_plans(&hub);
	test_beat_and_keys(&hub);
	crypto_wipe(&hub, sizeof(hub));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpl);
	return check_done("test_agent_ident");
}
