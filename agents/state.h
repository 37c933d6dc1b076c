/*
 * state.h - the device's boot epoch: a number that grows at every start of
 * the agent, so the hub can tell a reboot (seq back to 1) from a replay.
 *
 * new epoch = max(saved + 1, Unix seconds now), saved in
 * <dir>/<device>.epoch (decimal, one line), written atomically (a temp file,
 * fsync, rename, fsync of the directory): after a crash the file holds the
 * old or the new epoch, never a torn one. Without a state directory the
 * epoch is the Unix time in seconds; state_epoch_release() then makes sure
 * the next start sees a later second. A saved epoch we cannot read is an
 * error, never a silent reset: an epoch that went back would have the hub
 * drop everything as stale.
 *
 * Not thread-safe; the agent calls it once at start and once at exit.
 */
#ifndef AGENT_STATE_H
#define AGENT_STATE_H

#include <stddef.h>
#include <stdint.h>

/* Pure: the epoch after `saved` (0 = none) at Unix time now_s. Returns 0 if
 * none is left (saved is UINT32_MAX or the clock is past 2106). */
uint32_t state_epoch_choose(uint32_t saved, int64_t now_s);

/*
 * Take the next epoch for device (a valid id) and save it under dir (NULL:
 * no state directory). Returns 0 with *epoch set, or -1 with the reason in
 * err (unreadable or corrupt file, write failure).
 */
int	state_epoch_next(const char *dir, const char *device, int64_t now_s,
	    uint32_t *epoch, char *err, size_t errlen);

/* Before exit: without a state directory, sleep until the Unix second is
 * past epoch, so a quick restart cannot take the same epoch again. */
void	state_epoch_release(const char *dir, uint32_t epoch);

#endif
