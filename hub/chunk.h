/*
 * chunk.h - the compact on-disk form of a telemetry message's samples.
 *
 * Pure. A chunk is a version byte, a count, the first sample's time, then per
 * sample a fixed 19-byte little-endian record: time offset (ms, u32), presence
 * flags (u8), cadence (0.1 spm, u16), speed (cm/s, u16), grade (0.1 %, i16),
 * altitude (dm, i32), distance (cm, u32). About a quarter of the JSON. Blobs
 * read back from disk are checked like network input.
 */
#ifndef HUB_CHUNK_H
#define HUB_CHUNK_H

#include <stddef.h>
#include <stdint.h>
#include "stride/protocol.h"

#define CHUNK_VERSION	1
#define CHUNK_HEADER	10	/* version u8, count u8, t0 ms i64 */
#define CHUNK_RECORD	19
#define CHUNK_MAX	(CHUNK_HEADER + STRIDE_SAMPLES_MAX * CHUNK_RECORD)

/* Pack n samples (1..STRIDE_SAMPLES_MAX, sorted by time, each within 2^32 ms
 * of the first) into out. Returns the length, or -1. */
int	chunk_pack(const struct stride_sample *s, size_t n, uint8_t *out,
	    size_t cap);

/* Unpack a blob into out (room for cap samples). Returns the count, or -1
 * if the blob is malformed. */
int	chunk_unpack(const uint8_t *blob, size_t len,
	    struct stride_sample *out, size_t cap);

#endif
