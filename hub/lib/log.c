/*
 * log.c - see stride/log.h. Every line is formatted into one buffer and
 * written with a single write(2), so lines from the MQTT thread and the
 * worker never interleave.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stride/log.h"

static const char	*log_ident = "stride";
static int		 log_verbose;

void
log_init(const char *ident, int verbose)
{
	log_ident = ident;
	log_verbose = verbose;
}

static void
log_vline(const char *level, const char *fmt, va_list ap, const char *tail)
{
	char	buf[1024];
	int	n, m;

	n = snprintf(buf, sizeof(buf), "%s: %s", log_ident, level);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n >= sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	if (tail != NULL) {
		m = snprintf(buf + n, sizeof(buf) - (size_t)n, ": %s", tail);
		if (m > 0)
			n += m;
		if ((size_t)n >= sizeof(buf) - 1)
			n = sizeof(buf) - 2;
	}
	buf[n++] = '\n';
	(void)!write(STDERR_FILENO, buf, (size_t)n);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	char	err[128];
	int	saved = errno;

	snprintf(err, sizeof(err), "%s", strerror(saved));
	va_start(ap, fmt);
	log_vline("", fmt, ap, err);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vline("", fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vline("", fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vline("debug: ", fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;
	char	err[128];

	snprintf(err, sizeof(err), "%s", strerror(errno));
	va_start(ap, fmt);
	log_vline("fatal: ", fmt, ap, err);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vline("fatal: ", fmt, ap, NULL);
	va_end(ap);
	exit(1);
}

void
log_rate_warnx(struct log_rate *r, const char *fmt, ...)
{
	va_list	ap;
	char	tail[64];
	int64_t	now = clock_mono_ms();

	if (r->last_ms != 0 && now - r->last_ms < LOG_RATE_INTERVAL_MS) {
		r->suppressed++;
		return;
	}
	r->last_ms = now;
	va_start(ap, fmt);
	if (r->suppressed > 0) {
		snprintf(tail, sizeof(tail), "(%llu more like it suppressed)",
		    (unsigned long long)r->suppressed);
		r->suppressed = 0;
		log_vline("", fmt, ap, tail);
	} else
		log_vline("", fmt, ap, NULL);
	va_end(ap);
}

static int64_t
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
clock_now_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

int64_t
clock_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}
