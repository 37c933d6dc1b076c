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
 * Plans (issue 3): every command keeps the newest plan the hub publishes
 * (retained, on the device's plan topic), decoded as hostile input with
 * plan_decode, in memory and, with --state-dir, in DIR/<device>.plan (the
 * bytes received, replaced atomically), so a watch that wakes up without
 * a broker still has its limits. A watch's run applies the plan it holds
 * at its first sample (cues.c), with no hub needed: it waits up to
 * AGENT_PLAN_WAIT_MS after connecting for the retained copy, so a plan
 * made since the last run counts; one that arrives later in the run is
 * kept for the next run. A during-run report of pain by any device of the
 * runner (the link hears them) is a stop cue. Cue lines go to stdout, one
 * per cue, and the counts at the end of the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "csvsrc.h"
#include "cues.h"
#include "filesrc.h"
#include "link.h"
#include "outbox.h"
#include "state.h"
#include "stride/log.h"
#include "stride/plan.h"

#define AGENT_PROGRESS_S	300	/* an info line per 5 min of samples */
#define AGENT_PLAN_WAIT_MS	500	/* for the retained plan, after connect */
#define AGENT_REPORT_SKEW_MS	10000	/* a report this much older than the
					   run's start is not about it */

static volatile sig_atomic_t agent_stop;

/* The plan this device keeps and, during a watch's run, its cues. */
struct agent_plan {
	const struct agent_config *c;
	struct plan	 cur;		/* the newest plan; version 0: none */
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

/* "<dir>/<device>.plan", or -1 if it does not fit. */
static int
agent_plan_path(const struct agent_config *c, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s/%s.plan", c->state_dir, c->device);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* Keep the plan's bytes in the state directory: a temp file, fsync,
 * rename, fsync of the directory, as state.c keeps the epoch. */
static void
agent_plan_save(const struct agent_config *c, const void *buf, size_t len)
{
	char	path[PATH_MAX], tmp[PATH_MAX];
	int	fd;

	if (c->state_dir == NULL)
		return;
	if (agent_plan_path(c, path, sizeof(path)) == -1 ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		log_warnx("agent: plan file name too long");
		return;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		goto fail;
	if (write(fd, buf, len) != (ssize_t)len || fsync(fd) == -1) {
		close(fd);
		unlink(tmp);
		goto fail;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		unlink(tmp);
		goto fail;
	}
	if ((fd = open(c->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
	    -1) {
		(void)fsync(fd);
		close(fd);
	}
	return;
fail:
	log_warn("agent: saving the plan to %s", path);
}

/* The plan kept by an earlier start, if any. A damaged file is ignored
 * (the hub's retained copy replaces it), never trusted. */
static void
agent_plan_load(struct agent_plan *ap)
{
	char		 path[PATH_MAX], buf[PLAN_JSON_MAX + 1];
	const char	*why;
	ssize_t		 n;
	int		 fd;

	if (ap->c->state_dir == NULL ||
	    agent_plan_path(ap->c, path, sizeof(path)) == -1)
		return;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			log_warn("agent: %s", path);
		return;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0 || n > PLAN_JSON_MAX) {
		log_warnx("agent: %s: unreadable or too long: ignored", path);
		return;
	}
	if (plan_decode(buf, (size_t)n, &ap->cur, &why) == -1) {
		log_warnx("agent: %s: %s: ignored", path, why);
		memset(&ap->cur, 0, sizeof(ap->cur));
		return;
	}
	log_debug("agent: saved plan %u loaded", (unsigned)ap->cur.version);
}

/* A plan from the hub (link_poll, our thread): hostile bytes. */
static void
agent_on_plan(void *arg, const void *payload, size_t len)
{
	struct agent_plan	*ap = arg;
	struct plan		 p;
	const char		*why;

	if (plan_decode(payload, len, &p, &why) == -1) {
		log_warnx("agent: plan refused: %s (%zu bytes)", why, len);
		return;
	}
	ap->got = 1;
	if (p.version == ap->cur.version && p.issued_ms == ap->cur.issued_ms)
		return;		/* the one we have (a re-send) */
	if (ap->cur.version != 0 && p.version < ap->cur.version)
		log_warnx("agent: plan %u replaces newer plan %u (the hub "
		    "started over?)", (unsigned)p.version,
		    (unsigned)ap->cur.version);
	ap->cur = p;
	agent_plan_save(ap->c, payload, len);
	if (!ap->c->quiet)
		log_info("agent: plan %u received: %.1f km, %u min, %.2f m/s, "
		    "hills %.1f%%%s", (unsigned)p.version,
		    p.max_distance_m / 1000.0, (unsigned)(p.max_duration_s /
		    60), p.speed_cap_mps, p.max_grade_pct, ap->cues_on ?
		    "; it applies from the next run" : "");
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
	struct cue_event	 ev[CUES_EVENTS_MAX];
	size_t			 i, n;

	if (!ap->cues_on || m->u.sym.when != STRIDE_WHEN_DURING ||
	    m->u.sym.t_ms < ap->run_wall_ms - AGENT_REPORT_SKEW_MS)
		return;		/* not about this run */
	if (!ap->c->quiet)
		log_info("agent: %s reported \"%s\" during the run", device,
		    stride_level_name(m->u.sym.level));
	n = cues_symptom(&ap->cues, ap->last_t_ms, m->u.sym.level, ev,
	    CUES_EVENTS_MAX);
	for (i = 0; i < n; i++)
		agent_cue_print(ap, &ev[i]);
}

/* After connecting: a short wait for the retained plan (top comment). */
static void
agent_wait_plan(struct agent_plan *ap, struct link *l)
{
	int64_t deadline = clock_mono_ms() + AGENT_PLAN_WAIT_MS;

	while (!ap->got && !agent_stop && link_connected(l) &&
	    clock_mono_ms() < deadline) {
		(void)link_wait(l, deadline);
		link_poll(l);
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
agent_wait_connected(struct link *l, int64_t timeout_ms)
{
	int64_t	deadline = clock_mono_ms() + timeout_ms, now;

	for (;;) {
		link_poll(l);
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
agent_finish(const struct agent_config *c, struct link *l)
{
	int64_t		deadline, now;
	sig_atomic_t	stops = agent_stop;
	int		done;

	deadline = clock_mono_ms() + (c->ack_timeout_s > 0 ?
	    (int64_t)c->ack_timeout_s * 1000 : AGENT_FLUSH_MS);
	for (;;) {
		link_poll(l);
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
agent_wait_window(const struct agent_config *c, struct link *l)
{
	int64_t	start = clock_mono_ms(), now = start, deadline;

	deadline = start + (int64_t)c->ack_timeout_s * 1000;
	while (link_held_back(l)) {
		if (now >= deadline || agent_stop)
			return -1;
		(void)link_wait(l, now + 1000 < deadline ? now + 1000 :
		    deadline);
		link_poll(l);
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
	if (!agent_wait_connected(l, AGENT_CONNECT_WAIT_MS) && !agent_stop)
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
		link_poll(l);
		agent_cues_sample(ap, &s);
		tel.u.tel.s[tel.u.tel.n++] = s;
		last_t = s.t_ms;
		if (tel.u.tel.n == c->batch) {
			if (link_send(l, &tel) == -1)
				ok = 0;
			tel.u.tel.n = 0;
		}
		if (pace_by_hub && link_held_back(l)) {
			if ((waited = agent_wait_window(c, l)) >= 0)
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
	char		 err[512];
	int		 ok;

	agent_signals();
	memset(&ap, 0, sizeof(ap));
	ap.c = c;
	/* A bad source is refused before anything is taken or sent. */
	memset(&src, 0, sizeof(src));
	if (c->cmd == AGENT_CMD_RUN && agent_src_open(c, &src, &total) == -1)
		return 1;
	if (state_epoch_next(c->state_dir, c->device, clock_now_ms() / 1000,
	    &epoch, err, sizeof(err)) == -1) {
		log_warnx("agent: epoch: %s", err);
		agent_src_close(&src);
		return 1;
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
	lc.on_plan = agent_on_plan;
	lc.plan_arg = &ap;
	if (c->cmd == AGENT_CMD_RUN && c->role == STRIDE_ROLE_WATCH) {
		lc.on_symptom = agent_on_symptom;
		lc.symptom_arg = &ap;
	}
	agent_plan_load(&ap);

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
		return 1;
	}
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
	if (!agent_finish(c, l))
		ok = 0;
	link_close(l, AGENT_FLUSH_MS);
	state_epoch_release(c->state_dir, epoch);
	return ok ? 0 : 1;
}
