/*
 * state.c - see state.h. The epoch file is small and read with one bounded
 * read(2); anything but 1..10 digits and an optional newline is corrupt.
 * One agent process per device and state directory (the temp file name
 * is fixed).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "state.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

uint32_t
state_epoch_choose(uint32_t saved, int64_t now_s)
{
	if (saved == UINT32_MAX || now_s > (int64_t)UINT32_MAX)
		return 0;
	if (now_s > (int64_t)saved + 1)
		return (uint32_t)now_s;
	return saved + 1;
}

/* Read the saved epoch into *saved (0 if there is no file). 0 or -1. */
static int
state_read(const char *path, uint32_t *saved, char *err, size_t errlen)
{
	char		buf[16];
	ssize_t		n;
	size_t		i, len;
	uint64_t	v = 0;
	int		fd;

	*saved = 0;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	len = (size_t)n;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len < 1 || len > 10)
		goto corrupt;
	for (i = 0; i < len; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			goto corrupt;
		v = v * 10 + (uint64_t)(buf[i] - '0');
	}
	if (v < 1 || v > UINT32_MAX)
		goto corrupt;
	*saved = (uint32_t)v;
	return 0;
corrupt:
	snprintf(err, errlen, "%s: corrupt epoch file (want one number "
	    "1..4294967295); fix or remove it, knowing the hub drops an "
	    "epoch lower than the last it saw", path);
	return -1;
}

static int
state_write(const char *dir, const char *path, const char *tmp,
    uint32_t epoch, char *err, size_t errlen)
{
	char	buf[16];
	int	fd, len;

	len = snprintf(buf, sizeof(buf), "%u\n", (unsigned)epoch);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW,
	    0644)) == -1)
		goto fail;
	if (write(fd, buf, (size_t)len) != len || fsync(fd) == -1) {
		close(fd);
		unlink(tmp);
		goto fail;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		unlink(tmp);
		goto fail;
	}
	/* The rename is durable once the directory is. */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) == -1)
		goto fail;
	if (fsync(fd) == -1) {
		close(fd);
		goto fail;
	}
	close(fd);
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return -1;
}

int
state_epoch_next(const char *dir, const char *device, int64_t now_s,
    uint32_t *epoch, char *err, size_t errlen)
{
	char		path[PATH_MAX], tmp[PATH_MAX];
	uint32_t	saved = 0;
	int		n;

	if (dir != NULL) {
		n = snprintf(path, sizeof(path), "%s/%s.epoch", dir, device);
		if (n < 0 || (size_t)n >= sizeof(path) ||
		    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >=
		    (int)sizeof(tmp)) {
			snprintf(err, errlen, "%s: path too long", dir);
			return -1;
		}
		if (state_read(path, &saved, err, errlen) == -1)
			return -1;
	}
	if ((*epoch = state_epoch_choose(saved, now_s)) == 0) {
		snprintf(err, errlen, "no epoch left after %u",
		    (unsigned)saved);
		return -1;
	}
	if (dir != NULL &&
	    state_write(dir, path, tmp, *epoch, err, errlen) == -1)
		return -1;
	return 0;
}

void
state_epoch_release(const char *dir, uint32_t epoch)
{
	struct timespec	ts;

	if (dir != NULL)
		return;
	/* Sleep to the start of second epoch + 1: at most a second. */
	clock_gettime(CLOCK_REALTIME, &ts);
	if ((int64_t)ts.tv_sec > (int64_t)epoch ||
	    (int64_t)epoch > (int64_t)ts.tv_sec + 1)
		return;
	ts.tv_sec = (time_t)epoch + 1;
	ts.tv_nsec = 0;
	while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) ==
	    EINTR)
		;
}
