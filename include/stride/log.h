/*
 * log.h - logging in the OpenBSD shape, shared by the hub and the agents.
 *
 * Lines go to stderr as "<ident>: <message>". log_warn appends strerror(errno);
 * fatal/fatalx log and exit(1). Never log keys or raw payloads at info level.
 * For anything a stranger can trigger, use a struct log_rate so a flood of bad
 * messages costs one line per interval, with a count of the ones suppressed.
 * Thread-safe: each line is written with one write(2).
 */
#ifndef STRIDE_LOG_H
#define STRIDE_LOG_H

#include <stdint.h>

#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))

void	log_init(const char *ident, int verbose);
void	log_warn(const char *, ...) LOG_PRINTF(1, 2);
void	log_warnx(const char *, ...) LOG_PRINTF(1, 2);
void	log_info(const char *, ...) LOG_PRINTF(1, 2);
void	log_debug(const char *, ...) LOG_PRINTF(1, 2);
void	fatal(const char *, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));
void	fatalx(const char *, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));

/* A per-cause limiter: at most one line per interval_ms. Zero-initialise. */
struct log_rate {
	int64_t		last_ms;
	uint64_t	suppressed;
};
#define LOG_RATE_INTERVAL_MS 10000	/* one line per cause per 10 s */

/* Logs like log_warnx unless this cause logged within the interval; then
 * counts it silently and reports the count with the next line. */
void	log_rate_warnx(struct log_rate *, const char *, ...) LOG_PRINTF(2, 3);

/* Milliseconds of CLOCK_REALTIME / CLOCK_MONOTONIC. */
int64_t	clock_now_ms(void);
int64_t	clock_mono_ms(void);

#endif
