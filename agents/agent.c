/*
 * agent.c - see agent.h.
 *
 * Pacing: sample k is due at mono0 + (t_k - t_0) / speed on CLOCK_MONOTONIC,
 * and the loop sleeps to that absolute time with clock_nanosleep, so the
 * schedule never drifts and an idle agent costs one wake-up per sample
 * (at 1 Hz that is all it does). Nothing is allocated per sample: the
 * batch is one stride_msg on the stack; the link copies each encoded
 * message once into its outbox.
 *
 * Replays (--csv, --file) follow the recording's own times, rebased to
 * --start-ms: gaps stay gaps. A pause in a FIT/TCX/GPX file (the device's
 * timer stood still, so it recorded nothing) is not announced with
 * events: the agent just sends nothing until the next record, as the
 * device did. The hub's fuser counts a gap over its max hold (10 s) as
 * standing, and a gap over its idle timeout ends the session, exactly as
 * it would for that device live.
 *
 * Flow: the link publishes at most LINK_WINDOW messages past the hub's
 * ack; a replay faster than real time waits for the window to open (a
 * real-time run keeps measuring, and the outbox holds the rest).
 *
 * Signals: SIGINT/SIGTERM end a run early the way the stop button would
 * (the batch is flushed, a stop event sent, acks awaited); a second one
 * also cuts the wait for acks short. Paho's threads are started with the
 * signals blocked so that they arrive on the main thread.
 *
 * Plans (issues 3 and 4): every command keeps the newest plan the hub
 * publishes (sealed, retained, on the device's plan topic), accepted only
 * as crypto_plan_open says and decoded as hostile input with plan_decode
 * (ident.c), in memory and in DIR/<device>.plan (the sealed bytes
 * received, re-verified at every start), so a watch that wakes up without
 * a broker still has its limits. An expired plan is never applied: the
 * last good one is kept and the runner warned ("warning: plan expired").
 * The hub's signed heartbeat is checked as it comes; a hub silent for
 * over AGENT_HUB_SILENT_MS is reported once ("warning: hub not
 * responding"). A hub key rotation is applied (saved first) and, if the
 * hub's X25519 key changed, the link's session keys replaced. A watch's run applies the plan it holds
 * at its first sample (cues.c), with no hub needed: it waits up to
 * AGENT_PLAN_WAIT_MS after connecting for the retained copy, so a plan
 * made since the last run counts; one that arrives later in the run is
 * kept for the next run. A during-run report of pain by any device of the
 * runner (the link hears them) is a stop cue. Cue lines go to stdout, one
 * per cue, and the counts at the end of the run.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "csvsrc.h"
#include "cues.h"
#include "filesrc.h"
#include "ident.h"
#include "link.h"
#include "outbox.h"
#include "state.h"
#include "stride/log.h"
#include "stride/plan.h"

#define AGENT_PROGRESS_S	300	/* an info line per 5 min of samples */
#define AGENT_PLAN_WAIT_MS	1000	/* for the retained plan, after connect */
#define AGENT_PLAN_QUIET_MS	150	/* ... until none came for this long */
#define AGENT_REPORT_SKEW_MS	10000	/* a report this much older than the
					   run's start is not about it */
#define AGENT_HUB_SILENT_MS	(10 * 60 * 1000)	/* heartbeat age that
					   makes "hub not responding" */
#define AGENT_BEAT_GRACE_MS	3000	/* after connecting: the retained
					   heartbeat comes first */
#define AGENT_BEAT_OFFLINE_MS	30000	/* never connected: check anyway */
#define AGENT_HEARD_MAX		16	/* relayed reports remembered */
#define AGENT_TRUST_SAVE_MS	(60 * 60 * 1000)	/* a heartbeat is
					   persisted this often at most */

static volatile sig_atomic_t agent_stop;

/* A relayed report acted on: what makes it the same report. */
struct agent_heard {
	uint32_t	epoch, seq;	/* the reporting device's */
	int64_t		t_ms;
	enum stride_level level;
	int		score;
};

/* The plan this device keeps and, during a watch's run, its cues; its
 * key and trust in the hub. */
struct agent_plan {
	const struct agent_config *c;
	struct ident	 id;		/* key, trust, session keys */
	struct link	*link;		/* NULL until link_open */
	struct plan	 cur;		/* the newest plan; version 0: none */
	uint64_t	 cur_sealed;	/* its envelope version; 0: none */
	uint64_t	 expired_warned;	/* envelope version warned of */
	int		 beat_warned;	/* "hub not responding" said */
	int64_t		 start_mono_ms;
	int64_t		 connected_mono_ms;	/* first connect; 0: none */
	int64_t		 saved_mono_ms;	/* trust last saved */
	struct agent_heard heard[AGENT_HEARD_MAX];	/* reports acted on
					   in this run: a replayed relay is
					   not acted on twice */
	size_t		 nheard, nheard_next;
	size_t		 pending_len;	/* a plan by a key we did not know */
	uint8_t		 pending[CRYPTO_PLAN_SEALED_MAX];
	struct log_rate	 rate_plan;
	struct log_rate	 rate_beat;
	struct log_rate	 rate_keys;
	int		 got;		/* a plan arrived since the flag was
					   cleared */
	int		 cues_on;	/* a watch's run is under way */
	struct cues	 cues;
	uint32_t	 run_version;	/* the plan the run follows; 0: none */
	int64_t		 run_wall_ms;	/* wall clock at the run's start */
	int64_t		 t0_ms;		/* the run's first sample time */
	int64_t		 last_t_ms;	/* its latest */
};

static void
agent_on_signal(int sig)
{
	(void)sig;
	agent_stop++;
}

static void
agent_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = agent_on_signal;	/* no SA_RESTART: wake sleeps */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* A line for the runner: stdout, and the log (stderr). */
static void LOG_PRINTF(1, 2)
agent_tell(const char *fmt, ...)
{
	char	line[512];
	va_list	va;

	va_start(va, fmt);
	vsnprintf(line, sizeof(line), fmt, va);
	va_end(va);
	printf("%s\n", line);
	fflush(stdout);
	log_warnx("%s", line);
}

/* "N min", "N h" or "N d": how long ago, for the runner. */
static void
agent_ago(char *buf, size_t cap, int64_t ms)
{
	int64_t	min = ms > 0 ? ms / 60000 : 0;

	if (min < 120)
		snprintf(buf, cap, "%lld min", (long long)min);
	else if (min < 48 * 60)
		snprintf(buf, cap, "%lld h", (long long)(min / 60));
	else
		snprintf(buf, cap, "%lld d", (long long)(min / 1440));
}

/* An authentic plan past its expiry: once per plan version. */
static void
agent_plan_expired(struct agent_plan *ap, const struct crypto_plan_info *info)
{
	char	ago[32];

	if (ap->expired_warned == info->version)
		return;
	ap->expired_warned = info->version;
	agent_ago(ago, sizeof(ago), clock_now_ms() - info->expires_ms);
	if (ap->cur.version != 0)
		agent_tell("warning: plan expired %s ago (plan version %llu): "
		    "keeping the last good plan (%u); the hub has not renewed "
		    "it", ago, (unsigned long long)info->version,
		    (unsigned)ap->cur.version);
	else
		agent_tell("warning: plan expired %s ago (plan version %llu) "
		    "and there is no other plan: only pain cues", ago,
		    (unsigned long long)info->version);
}

static void
agent_plan_use(struct agent_plan *ap, const struct plan *p,
    const struct crypto_plan_info *info)
{
	ap->cur = *p;
	ap->cur_sealed = info->version;
}

/* At start: the plan stored by an earlier start, verified again. */
static void
agent_plan_restore(struct agent_plan *ap)
{
	enum crypto_plan_verdict v;
	struct crypto_plan_info	 info;
	struct plan		 p;
	const char		*why = "refused";

	if (ident_plan_restore(&ap->id, clock_now_ms(), &p, &info, &v,
	    &why) == 0)
		return;
	switch (v) {
	case CRYPTO_PLAN_BAD:
		log_warnx("agent: stored plan %s/%s.plan ignored: %s",
		    ap->id.dir, ap->id.device, why);
		return;
	case CRYPTO_PLAN_EXPIRED:
		/* Still the last good plan there is: followed, and said. */
		agent_plan_use(ap, &p, &info);
		agent_plan_expired(ap, &info);
		return;
	case CRYPTO_PLAN_NEW:
		log_info("agent: stored plan %llu accepted (its version had "
		    "not been saved)", (unsigned long long)info.version);
		/* FALLTHROUGH */
	case CRYPTO_PLAN_SAME:
	default:
		agent_plan_use(ap, &p, &info);
		log_debug("agent: stored plan %u (sealed version %llu) loaded",
		    (unsigned)p.version, (unsigned long long)info.version);
		return;
	}
}

/* A sealed plan from our plan topic (link_poll, our thread): hostile. */
static void
agent_on_plan(void *arg, const void *payload, size_t len)
{
	struct agent_plan	*ap = arg;
	struct crypto_plan_info	 info;
	struct plan		 p;
	enum crypto_plan_verdict v;
	const char		*why = "refused";

	v = ident_plan_take(&ap->id, payload, len, clock_now_ms(), &p, &info,
	    &why);
	if (v != CRYPTO_PLAN_BAD && payload != ap->pending)
		ap->pending_len = 0;	/* an authentic plan supersedes it */
	switch (v) {
	case CRYPTO_PLAN_BAD:
		/* Signed by a key a rotation chain may still bring (the
		 * chain and the plan race each other): kept to try again
		 * once a chain applies. It opened, so the hub sent it; junk
		 * that does not open ("authentication failed": a rotation
		 * keeps the X25519 key) must not push it out. Any other
		 * reason is final. */
		if (strcmp(why, "unknown hub key") == 0 &&
		    len <= sizeof(ap->pending) && payload != ap->pending) {
			memcpy(ap->pending, payload, len);
			ap->pending_len = len;
		}
		log_rate_warnx(&ap->rate_plan, "agent: plan refused: %s "
		    "(%zu bytes); keeping plan %u", why, len,
		    (unsigned)ap->cur.version);
		return;
	case CRYPTO_PLAN_SAME:
		ap->got = 1;
		/* The accepted one; ours unless its stored copy was lost. */
		if (ap->cur_sealed != info.version)
			agent_plan_use(ap, &p, &info);
		return;
	case CRYPTO_PLAN_EXPIRED:
		ap->got = 1;
		agent_plan_expired(ap, &info);
		return;
	case CRYPTO_PLAN_NEW:
	default:
		break;
	}
	ap->got = 1;
	agent_plan_use(ap, &p, &info);
	if (!ap->c->quiet)
		log_info("agent: plan %u received (sealed version %llu): %.1f "
		    "km, %u min, %.2f m/s, hills %.1f%%%s", (unsigned)p.version,
		    (unsigned long long)info.version, p.max_distance_m / 1000.0,
		    (unsigned)(p.max_duration_s / 60), p.speed_cap_mps,
		    p.max_grade_pct, ap->cues_on ?
		    "; it applies from the next run" : "");
}

/* A heartbeat from _hub/heartbeat (link_poll, our thread): hostile. */
static void
agent_on_beat(void *arg, const void *payload, size_t len)
{
	struct agent_plan	*ap = arg;
	const char		*why = "refused";

	switch (ident_beat(&ap->id, payload, len, &why)) {
	case -1:
		log_rate_warnx(&ap->rate_beat, "agent: hub heartbeat refused: "
		    "%s", why);
		return;
	case 0:
		if (ap->beat_warned &&
		    crypto_trust_beat_age_ms(&ap->id.trust, clock_now_ms()) <=
		    AGENT_HUB_SILENT_MS) {
			ap->beat_warned = 0;
			log_info("agent: the hub is responding again");
		}
		return;
	default:
		return;		/* not newer: the retained copy again */
	}
}

/* A rotation chain from _hub/keys (link_poll, our thread): hostile. */
static void
agent_on_keys(void *arg, const void *payload, size_t len)
{
	struct agent_plan	*ap = arg;
	char			 fp[CRYPTO_FP_TEXT_MAX];
	const char		*why = "refused";
	unsigned		 applied = 0;
	int			 kx_changed = 0;

	if (ident_keys(&ap->id, payload, len, &applied, &kx_changed,
	    &why) == -1) {
		log_rate_warnx(&ap->rate_keys, "agent: hub key chain refused: "
		    "%s", why);
		return;
	}
	if (applied == 0)
		return;
	ap->saved_mono_ms = clock_mono_ms();
	crypto_fp_text(fp, ap->id.trust.hub_sign_pk);
	log_info("agent: the hub rotated its key (%u step%s): hub_sign_fp "
	    "now %s", applied, applied == 1 ? "" : "s", fp);
	if (kx_changed) {
		crypto_fp_text(fp, ap->id.trust.hub_kx_pk);
		log_info("agent: the hub's X25519 key changed: hub_kx_fp now "
		    "%s; session keys derived again", fp);
		if (ap->link != NULL)
			link_set_session(ap->link, &ap->id.sess);
	}
	if (ap->pending_len > 0) {
		log_debug("agent: trying the plan again under the new key");
		agent_on_plan(ap, ap->pending, ap->pending_len);
		ap->pending_len = 0;
	}
}

/*
 * Whenever the loop wakes: is the hub alive (its signed heartbeat), and is
 * a heartbeat waiting to be persisted? Checked only once the retained
 * heartbeat had its chance to arrive.
 */
static void
agent_check_hub(struct agent_plan *ap)
{
	int64_t	mono = clock_mono_ms(), age;

	if (ap->link != NULL && ap->connected_mono_ms == 0 &&
	    link_connected(ap->link))
		ap->connected_mono_ms = mono;
	if (ap->id.beat_dirty && mono - ap->saved_mono_ms >=
	    AGENT_TRUST_SAVE_MS && ident_trust_save(&ap->id) == 0)
		ap->saved_mono_ms = mono;
	if (ap->beat_warned)
		return;
	if (!(ap->connected_mono_ms != 0 && mono - ap->connected_mono_ms >=
	    AGENT_BEAT_GRACE_MS) && mono - ap->start_mono_ms <
	    AGENT_BEAT_OFFLINE_MS)
		return;
	age = crypto_trust_beat_age_ms(&ap->id.trust, clock_now_ms());
	if (age > AGENT_HUB_SILENT_MS) {
		ap->beat_warned = 1;
		agent_tell("warning: hub not responding (last heartbeat %lld "
		    "min ago)", (long long)(age / 60000));
	}
}

/* link_poll, then what the agent checks at every wake-up. */
static void
agent_poll(struct agent_plan *ap)
{
	link_poll(ap->link);
	agent_check_hub(ap);
}

/* One cue: a line for the runner on stdout. */
static void
agent_cue_print(const struct agent_plan *ap, const struct cue_event *e)
{
	char	text[256];
	int64_t	el = (e->t_ms - ap->t0_ms) / 1000;

	if (el < 0)
		el = 0;
	cue_format(e, text, sizeof(text));
	printf("cue %lld:%02lld %s%s: %s\n", (long long)(el / 60),
	    (long long)(el % 60), cue_name(e->kind), e->stop ? " stop" : "",
	    text);
	fflush(stdout);
}

/* A report by one of the runner's devices (link_poll, our thread). */
static void
agent_on_symptom(void *arg, const char *device, const struct stride_msg *m)
{
	struct agent_plan	*ap = arg;
	struct agent_heard	*hd;
	struct cue_event	 ev[CUES_EVENTS_MAX];
	size_t			 i, n;

	if (!ap->cues_on || m->u.sym.when != STRIDE_WHEN_DURING ||
	    m->u.sym.t_ms < ap->run_wall_ms - AGENT_REPORT_SKEW_MS)
		return;		/* not about this run */
	/* The broker may deliver a captured relay again: one report is
	 * acted on once (protocol.md 6.8). Same fields, same report. */
	for (i = 0; i < ap->nheard && i < AGENT_HEARD_MAX; i++) {
		const struct agent_heard *h = &ap->heard[i];

		if (h->epoch == m->epoch && h->seq == m->seq &&
		    h->t_ms == m->u.sym.t_ms && h->level == m->u.sym.level &&
		    h->score == m->u.sym.score)
			return;
	}
	/* A ring: the oldest is forgotten first. */
	hd = &ap->heard[ap->nheard_next++ % AGENT_HEARD_MAX];
	hd->epoch = m->epoch;
	hd->seq = m->seq;
	hd->t_ms = m->u.sym.t_ms;
	hd->level = m->u.sym.level;
	hd->score = m->u.sym.score;
	if (ap->nheard < AGENT_HEARD_MAX)
		ap->nheard++;
	if (!ap->c->quiet)
		log_info("agent: %s reported \"%s\" during the run", device,
		    stride_level_name(m->u.sym.level));
	n = cues_symptom(&ap->cues, ap->last_t_ms, m->u.sym.level, ev,
	    CUES_EVENTS_MAX);
	for (i = 0; i < n; i++)
		agent_cue_print(ap, &ev[i]);
}

/*
 * After connecting: a short wait for the retained plan (top comment). Not
 * just the first plan: with a persistent session the broker first hands
 * over what was queued while we were away (older plans, in order) and
 * then the retained newest, so we wait until plans stop coming for
 * AGENT_PLAN_QUIET_MS, within the same overall bound.
 */
static void
agent_wait_plan(struct agent_plan *ap, struct link *l)
{
	int64_t now = clock_mono_ms(), deadline = now + AGENT_PLAN_WAIT_MS;
	int64_t until = deadline;

	while (!agent_stop && link_connected(l) && now < until) {
		(void)link_wait(l, until);
		ap->got = 0;
		agent_poll(ap);
		now = clock_mono_ms();
		if (ap->got)
			until = now + AGENT_PLAN_QUIET_MS < deadline ?
			    now + AGENT_PLAN_QUIET_MS : deadline;
	}
}

/* Start the run's cues: a watch follows the plan it holds now. */
static void
agent_cues_start(struct agent_plan *ap, int64_t t0_ms)
{
	if (ap->c->role != STRIDE_ROLE_WATCH)
		return;
	cues_start(&ap->cues, ap->cur.version != 0 ? &ap->cur : NULL, NULL);
	ap->cues_on = 1;
	ap->nheard = ap->nheard_next = 0;
	ap->run_version = ap->cur.version;
	ap->run_wall_ms = clock_now_ms();
	ap->t0_ms = ap->last_t_ms = t0_ms;
	if (!ap->c->quiet) {
		if (ap->run_version != 0)
			log_info("agent: following plan %u: %.1f km, %u min, "
			    "%.2f m/s, hills %.1f%%", (unsigned)ap->cur.version,
			    ap->cur.max_distance_m / 1000.0,
			    (unsigned)(ap->cur.max_duration_s / 60),
			    ap->cur.speed_cap_mps, ap->cur.max_grade_pct);
		else
			log_info("agent: no plan yet: only pain cues");
	}
}

static void
agent_cues_sample(struct agent_plan *ap, const struct stride_sample *s)
{
	struct cue_event	ev[CUES_EVENTS_MAX];
	size_t			i, n;

	if (!ap->cues_on)
		return;
	if (s->t_ms > ap->last_t_ms)
		ap->last_t_ms = s->t_ms;
	n = cues_sample(&ap->cues, s, ev, CUES_EVENTS_MAX);
	for (i = 0; i < n; i++)
		agent_cue_print(ap, &ev[i]);
}

/* The run's cue counts, one line on stdout. */
static void
agent_cues_end(struct agent_plan *ap)
{
	int	k;

	if (!ap->cues_on)
		return;
	printf("cues plan %u", (unsigned)ap->run_version);
	for (k = CUE_NONE + 1; k < CUE_COUNT; k++)
		printf(" %s=%u", cue_name((enum cue_kind)k),
		    (unsigned)ap->cues.count[k]);
	printf("\n");
	fflush(stdout);
	ap->cues_on = 0;
}

static void
agent_sleep_until(int64_t due_ms)
{
	struct timespec	ts;

	ts.tv_sec = (time_t)(due_ms / 1000);
	ts.tv_nsec = (long)(due_ms % 1000) * 1000000L;
	while (!agent_stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
	    &ts, NULL) == EINTR)
		;
}

/* Wait, bounded, for the first connect. 1 if connected. */
static int
agent_wait_connected(struct agent_plan *ap, int64_t timeout_ms)
{
	struct link *l = ap->link;
	int64_t	deadline = clock_mono_ms() + timeout_ms, now;

	for (;;) {
		agent_poll(ap);
		if (link_connected(l))
			return 1;
		now = clock_mono_ms();
		if (now >= deadline || agent_stop)
			return 0;
		/* Wake at least each second: link_poll retries connects. */
		(void)link_wait(l, now + 1000 < deadline ? now + 1000 :
		    deadline);
	}
}

/*
 * The bounded wait at the end: for the hub's acks of everything sent, or,
 * with ack_timeout_s 0, for the broker to hold it all. 1 if done.
 */
static int
agent_finish(const struct agent_config *c, struct agent_plan *ap)
{
	struct link	*l = ap->link;
	int64_t		deadline, now;
	sig_atomic_t	stops = agent_stop;
	int		done;

	deadline = clock_mono_ms() + (c->ack_timeout_s > 0 ?
	    (int64_t)c->ack_timeout_s * 1000 : AGENT_FLUSH_MS);
	for (;;) {
		agent_poll(ap);
		done = c->ack_timeout_s > 0 ? link_unacked(l) == 0 :
		    link_delivered(l);
		now = clock_mono_ms();
		if (done || now >= deadline || agent_stop != stops)
			break;
		(void)link_wait(l, now + 1000 < deadline ? now + 1000 :
		    deadline);
	}
	if (done)
		return 1;
	if (c->ack_timeout_s > 0)
		log_warnx("agent: %zu message%s not acknowledged by the hub "
		    "after %d s%s", link_unacked(l), link_unacked(l) == 1 ?
		    "" : "s", c->ack_timeout_s, link_connected(l) ? "" :
		    " (not connected to the broker)");
	else
		log_warnx("agent: the broker has not taken everything after "
		    "%d ms%s", AGENT_FLUSH_MS, link_connected(l) ? "" :
		    " (not connected to it)");
	return 0;
}

/*
 * A replay faster than real time waits while the link holds messages back
 * for the hub's ack, rather than outrun it and overflow the outbox. A real
 * device cannot stop measuring, so at 1x this never waits. Returns the ms
 * waited, or -1 if the hub stayed silent for ack_timeout_s.
 */
static int64_t
agent_wait_window(const struct agent_config *c, struct agent_plan *ap)
{
	struct link *l = ap->link;
	int64_t	start = clock_mono_ms(), now = start, deadline;

	deadline = start + (int64_t)c->ack_timeout_s * 1000;
	while (link_held_back(l)) {
		if (now >= deadline || agent_stop)
			return -1;
		(void)link_wait(l, now + 1000 < deadline ? now + 1000 :
		    deadline);
		agent_poll(ap);
		now = clock_mono_ms();
	}
	return now - start;
}

static int
agent_send_event(struct link *l, enum stride_event type, int64_t t_ms)
{
	struct stride_msg m;

	memset(&m, 0, sizeof(m));
	m.kind = STRIDE_KIND_EVENT;
	m.u.ev.t_ms = t_ms;
	m.u.ev.type = type;
	return link_send(l, &m);
}

/* The stop of a run; a watch that followed its plan adds how often each
 * cue fired, so the hub records them with the session. */
static int
agent_send_stop(struct link *l, int64_t t_ms, const struct agent_plan *ap)
{
	struct stride_msg	m;
	enum stride_cue		w;
	int			k;

	memset(&m, 0, sizeof(m));
	m.kind = STRIDE_KIND_EVENT;
	m.u.ev.t_ms = t_ms;
	m.u.ev.type = STRIDE_EVENT_STOP;
	if (ap->cues_on) {
		m.u.ev.has_cues = 1;
		for (k = CUE_NONE + 1; k < CUE_COUNT; k++) {
			/* By name: the wire's list and cues.c's may differ. */
			w = stride_cue_parse(cue_name((enum cue_kind)k));
			if (w == STRIDE_CUE_NONE)
				continue;
			m.u.ev.cues[w] = ap->cues.count[k] > STRIDE_CUE_COUNT_MAX ?
			    STRIDE_CUE_COUNT_MAX : (uint16_t)ap->cues.count[k];
		}
	}
	return link_send(l, &m);
}

/* A run's samples, from one of the sources. */
struct agent_src {
	struct gen	 gen;
	struct csvsrc	*csv;		/* a CSV replay */
	struct filesrc	*file;		/* a FIT/TCX/GPX replay */
};					/* neither: synthetic */

static int
agent_src_next(struct agent_src *src, struct stride_sample *s, char *err,
    size_t errlen)
{
	if (src->csv != NULL)
		return csvsrc_next(src->csv, s, err, errlen);
	if (src->file != NULL)
		return filesrc_next(src->file, s);
	return gen_next(&src->gen, s);
}

static void
agent_src_close(struct agent_src *src)
{
	csvsrc_close(src->csv);
	src->csv = NULL;
	filesrc_close(src->file);
	src->file = NULL;
}

/* Read the whole CSV once before anything is sent, so a bad line is
 * refused before the run starts rather than in its middle. */
static int
agent_csv_check(const char *path, int64_t start_ms, uint64_t *n, char *err,
    size_t errlen)
{
	struct csvsrc		*src;
	struct stride_sample	 s;
	int			 r;

	*n = 0;
	if ((src = csvsrc_open(path, start_ms, err, errlen)) == NULL)
		return -1;
	while ((r = csvsrc_next(src, &s, err, errlen)) == 1)
		(*n)++;
	csvsrc_close(src);
	if (r == 0 && *n == 0) {
		snprintf(err, errlen, "%s: no samples", path);
		return -1;
	}
	return r;
}

/* One line on what is about to be replayed. */
static void
agent_file_info(const struct agent_config *c, const struct filesrc *fs)
{
	const struct activity	*a = filesrc_activity(fs);
	int64_t			 span_s = filesrc_span_ms(fs) / 1000;

	log_info("agent: %s: %s, %s, %.2f km, %lld:%02lld:%02lld recorded "
	    "(%.0f s moving, %u pause%s), %llu samples as %s%s",
	    c->file_path, activity_format_name(a->fmt),
	    activity_sport_name(a->sport), a->sum.dist_m / 1000.0,
	    (long long)(span_s / 3600), (long long)(span_s / 60 % 60),
	    (long long)(span_s % 60), a->sum.moving_s, (unsigned)a->sum.pauses,
	    a->sum.pauses == 1 ? "" : "s",
	    (unsigned long long)filesrc_count(fs), stride_role_name(c->role),
	    (a->flags & ACTIVITY_F_RELATIVE_TIME) ? "; the file's clock was "
	    "never set (its times are rebased anyway)" : "");
}

static int
agent_src_open(const struct agent_config *c, struct agent_src *src,
    uint64_t *n)
{
	struct gen_params p;
	const char	*why;
	char		 err[512];
	int64_t		 start;

	memset(src, 0, sizeof(*src));
	/* Whole seconds: two devices started together share their bins. */
	start = clock_now_ms() / 1000 * 1000;
	if (c->src == AGENT_SRC_CSV) {
		if (c->start_ms != 0)
			start = c->start_ms;
		if (agent_csv_check(c->csv_path, start, n, err,
		    sizeof(err)) == -1 || (src->csv = csvsrc_open(c->csv_path,
		    start, err, sizeof(err))) == NULL) {
			log_warnx("agent: %s", err);
			return -1;
		}
		return 0;
	}
	if (c->src == AGENT_SRC_FILE) {
		/* The whole file is read and checked here, before anything
		 * is sent (filesrc.h). */
		if (c->start_ms != 0)
			start = c->start_ms;
		if ((src->file = filesrc_open(c->file_path, c->role, start,
		    err, sizeof(err))) == NULL) {
			log_warnx("agent: %s", err);
			return -1;
		}
		*n = filesrc_count(src->file);
		if (!c->quiet)
			agent_file_info(c, src->file);
		return 0;
	}
	p = c->gen;
	p.role = c->role;
	if (p.start_ms == 0)
		p.start_ms = start;
	if (gen_init(&src->gen, &p, &why) == -1) {
		log_warnx("agent: synthetic run: %s", why);
		return -1;
	}
	*n = p.duration_s;
	return 0;
}

/* Stream the run from src (opened, and closed here). 1 if all went. */
static int
agent_run(const struct agent_config *c, struct link *l,
    struct agent_src *src, uint64_t total, struct agent_plan *ap)
{
	struct stride_sample	 s;
	struct stride_msg	 tel;
	char			 err[512];
	int64_t			 t0, mono0, last_t, waited;
	uint64_t		 sent = 0;
	int			 r, ok = 1, pace_by_hub = c->speed > 1;

	if ((r = agent_src_next(src, &s, err, sizeof(err))) != 1) {
		/* Checked before: only a file changed under us gets here. */
		log_warnx("agent: %s", r == -1 ? err : "no samples");
		agent_src_close(src);
		return 0;
	}
	if (!c->quiet)
		log_info("agent: run of %llu samples, %u per message, at %gx; "
		    "first sample at %lld ms", (unsigned long long)total,
		    c->batch, c->speed, (long long)s.t_ms);
	if (!agent_wait_connected(ap, AGENT_CONNECT_WAIT_MS) && !agent_stop)
		log_warnx("agent: broker not reachable yet: running anyway, "
		    "messages wait for the connection");
	if (c->role == STRIDE_ROLE_WATCH)
		agent_wait_plan(ap, l);

	t0 = last_t = s.t_ms;
	agent_cues_start(ap, t0);
	if (agent_send_event(l, STRIDE_EVENT_START, t0) == -1)
		ok = 0;
	memset(&tel, 0, sizeof(tel));
	tel.kind = STRIDE_KIND_TELEMETRY;
	tel.u.tel.role = c->role;
	mono0 = clock_mono_ms();
	do {
		agent_sleep_until(mono0 + (int64_t)((double)(s.t_ms - t0) /
		    c->speed));
		if (agent_stop)
			break;
		agent_poll(ap);
		agent_cues_sample(ap, &s);
		tel.u.tel.s[tel.u.tel.n++] = s;
		last_t = s.t_ms;
		if (tel.u.tel.n == c->batch) {
			if (link_send(l, &tel) == -1)
				ok = 0;
			tel.u.tel.n = 0;
		}
		if (pace_by_hub && link_held_back(l)) {
			if ((waited = agent_wait_window(c, ap)) >= 0)
				mono0 += waited;	/* the schedule moves */
			else if (!agent_stop) {
				log_warnx("agent: no ack from the hub for %d s: "
				    "no longer waiting for it", c->ack_timeout_s);
				pace_by_hub = 0;
			}
		}
		if (++sent % AGENT_PROGRESS_S == 0 && !c->quiet)
			log_info("agent: %llu/%llu samples, %zu message%s "
			    "unacknowledged", (unsigned long long)sent,
			    (unsigned long long)total, link_unacked(l),
			    link_unacked(l) == 1 ? "" : "s");
	} while ((r = agent_src_next(src, &s, err, sizeof(err))) == 1);
	if (r == -1) {
		log_warnx("agent: %s", err);
		ok = 0;
	}
	if (agent_stop && !c->quiet)
		log_info("agent: interrupted: stopping the run");
	if (tel.u.tel.n > 0 && link_send(l, &tel) == -1)
		ok = 0;
	if (agent_send_stop(l, last_t, ap) == -1)
		ok = 0;
	agent_cues_end(ap);
	agent_src_close(src);
	if (!c->quiet)
		log_info("agent: sent %llu samples; %zu message%s awaiting the "
		    "hub's ack, %llu dropped from a full outbox",
		    (unsigned long long)sent, link_unacked(l),
		    link_unacked(l) == 1 ? "" : "s",
		    (unsigned long long)link_dropped(l));
	return ok && link_dropped(l) == 0;
}

static int
agent_report(const struct agent_config *c, struct link *l)
{
	struct stride_msg m;

	memset(&m, 0, sizeof(m));
	m.kind = STRIDE_KIND_SYMPTOM;
	m.u.sym.t_ms = clock_now_ms();
	m.u.sym.when = c->when;
	m.u.sym.level = c->level;
	m.u.sym.score = c->score;
	return link_send(l, &m) == 0;
}

/* keygen: a new device key; its public text for `stridehub device add`. */
static int
agent_keygen(const struct agent_config *c, const char *pass)
{
	char	pk[KEYFILE_DEV_PK_TEXT_MAX], fp[CRYPTO_FP_TEXT_MAX], err[512];

	if (ident_keygen(c->state_dir, c->device, pass, c->replace, pk, fp,
	    err, sizeof(err)) != IDENT_OK) {
		log_warnx("keygen: %s", err);
		return 1;
	}
	printf("device_key %s\ndevice_fp %s\n", pk, fp);
	fflush(stdout);
	return ferror(stdout) ? 1 : 0;
}

/* enrol: trust the hub; its fingerprints for the owner to compare. */
static int
agent_enrol(const struct agent_config *c)
{
	char	sfp[CRYPTO_FP_TEXT_MAX], kfp[CRYPTO_FP_TEXT_MAX], err[512];

	if (ident_enrol(c->state_dir, c->device, c->hub_key, c->replace, sfp,
	    kfp, err, sizeof(err)) != IDENT_OK) {
		log_warnx("enrol: %s", err);
		return 1;
	}
	printf("hub_sign_fp %s\nhub_kx_fp %s\n", sfp, kfp);
	fflush(stdout);
	return ferror(stdout) ? 1 : 0;
}

/* run, report, event: the key and the trust, or a clear refusal. */
static int
agent_ident(struct agent_plan *ap, const char *pass)
{
	const struct agent_config *c = ap->c;
	char	err[512];

	switch (ident_load(&ap->id, c->state_dir, c->runner, c->device, pass,
	    err, sizeof(err))) {
	case IDENT_OK:
		return 0;
	case IDENT_NO_KEY:
		log_warnx("no device key in %s: run `stride-agent ... keygen`",
		    c->state_dir);
		return -1;
	case IDENT_NOT_ENROLLED:
		log_warnx("not enrolled: run `stride-agent ... enrol <hub "
		    "key>`");
		return -1;
	default:
		log_warnx("agent: %s", err);
		return -1;
	}
}

int
agent_main(const struct agent_config *c)
{
	struct link_config lc;
	struct link	*l;
	struct agent_src src;
	struct agent_plan ap;
	sigset_t	 block, old;
	uint64_t	 total = 0;
	uint32_t	 epoch;
	char		 err[512], pass[IDENT_PASS_MAX];
	int		 ok, have_pass = 0;

	assert(c->state_dir != NULL);
	if (c->passphrase_file != NULL) {
		if (ident_passphrase(c->passphrase_file, pass, sizeof(pass),
		    err, sizeof(err)) == -1) {
			log_warnx("%s", err);
			return 1;
		}
		have_pass = 1;
	}
	if (c->cmd == AGENT_CMD_KEYGEN || c->cmd == AGENT_CMD_ENROL) {
		ok = c->cmd == AGENT_CMD_KEYGEN ? agent_keygen(c, have_pass ?
		    pass : NULL) : agent_enrol(c);
		crypto_wipe(pass, sizeof(pass));
		return ok;
	}

	agent_signals();
	memset(&ap, 0, sizeof(ap));
	ap.c = c;
	ap.start_mono_ms = ap.saved_mono_ms = clock_mono_ms();
	/* No key or no trust: refused before anything is taken or sent. */
	ok = agent_ident(&ap, have_pass ? pass : NULL);
	crypto_wipe(pass, sizeof(pass));
	if (ok == -1)
		return 1;
	/* A bad source is refused before anything is taken or sent. */
	memset(&src, 0, sizeof(src));
	if (c->cmd == AGENT_CMD_RUN && agent_src_open(c, &src, &total) == -1)
		goto fail;
	if (state_epoch_next(c->state_dir, c->device, clock_now_ms() / 1000,
	    &epoch, err, sizeof(err)) == -1) {
		log_warnx("agent: epoch: %s", err);
		agent_src_close(&src);
		goto fail;
	}
	memset(&lc, 0, sizeof(lc));
	lc.host = c->host;
	lc.port = c->port;
	lc.prefix = c->prefix;
	lc.runner = c->runner;
	lc.device = c->device;
	lc.role = c->role;
	lc.epoch = epoch;
	lc.outbox_cap = OUTBOX_CAP_DEFAULT;
	/* --ack-timeout-s 0 says no hub will ack: nothing to pace by. */
	lc.window = c->ack_timeout_s > 0 ? LINK_WINDOW : 0;
	lc.status = c->cmd == AGENT_CMD_RUN;	/* one-shots are no presence */
	lc.quiet = c->quiet;
	lc.session = &ap.id.sess;
	lc.on_plan = agent_on_plan;
	lc.plan_arg = &ap;
	lc.on_beat = agent_on_beat;
	lc.on_keys = agent_on_keys;
	lc.hub_arg = &ap;
	if (c->cmd == AGENT_CMD_RUN && c->role == STRIDE_ROLE_WATCH) {
		lc.on_symptom = agent_on_symptom;
		lc.symptom_arg = &ap;
	}
	agent_plan_restore(&ap);

	/* Paho's threads inherit this mask: signals come to us. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	l = link_open(&lc, err, sizeof(err));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (l == NULL) {
		log_warnx("agent: %s", err);
		agent_src_close(&src);
		goto fail;
	}
	ap.link = l;
	if (!c->quiet)
		log_info("agent: %s/%s as %s, epoch %u", c->runner, c->device,
		    stride_role_name(c->role), (unsigned)epoch);

	switch (c->cmd) {
	case AGENT_CMD_RUN:
		ok = agent_run(c, l, &src, total, &ap);
		break;
	case AGENT_CMD_REPORT:
		ok = agent_report(c, l);
		break;
	case AGENT_CMD_EVENT:
	default:
		ok = agent_send_event(l, c->event, clock_now_ms()) == 0;
		break;
	}
	/* Always wait: whatever was sent deserves its chance. */
	if (!agent_finish(c, &ap))
		ok = 0;
	link_close(l, AGENT_FLUSH_MS);
	ap.link = NULL;
	state_epoch_release(c->state_dir, epoch);
	/* The heartbeat is persisted lazily: here, or hourly. */
	if (ap.id.beat_dirty)
		(void)ident_trust_save(&ap.id);
	ident_wipe(&ap.id);
	return ok ? 0 : 1;
fail:
	ident_wipe(&ap.id);
	return 1;
}
