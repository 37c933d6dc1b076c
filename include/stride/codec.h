/*
 * codec.h - JSON encoding and decoding of protocol v1 messages.
 *
 * The codec is the only code that sees JSON (and the only includer of
 * cJSON). Decoding treats its input as hostile: size, depth, types, ranges,
 * duplicate keys and key case are all checked, and the first problem is
 * reported as a static string. Unknown keys are ignored, for forward
 * compatibility. See docs/protocol.md for the message shapes.
 */
#ifndef STRIDE_CODEC_H
#define STRIDE_CODEC_H

#include <stddef.h>
#include "stride/protocol.h"

/*
 * Decode buf[0..len) as a message of the given kind (the kind comes from the
 * topic). Returns 0 and fills *out, or -1 with *why set to a static reason.
 * Never reads past len; buf need not be NUL-terminated.
 */
int	codec_decode(enum stride_kind kind, const void *buf, size_t len,
	    struct stride_msg *out, const char **why);

/*
 * The reference decoder behind codec_decode: every kind through cJSON.
 * codec_decode reads the common telemetry shape without it, and falls back
 * to this one for anything else; the two give the same result for every
 * input (tests and the fuzzer compare them). For tests and benchmarks.
 */
int	codec_decode_full(enum stride_kind kind, const void *buf, size_t len,
	    struct stride_msg *out, const char **why);

/*
 * Encode m (m->kind selects the shape) into buf as compact JSON with a
 * terminating NUL. Returns the length without the NUL, or -1 if m is out of
 * range or buf is too small.
 */
int	codec_encode(const struct stride_msg *m, char *buf, size_t cap);

#endif
