/*
 * jsonscan.h - the one-pass pre-scan both JSON decoders (codec.c for device
 * messages, plan_codec.c for plans) run over hostile bytes before cJSON
 * sees them. Private to libstride.
 */
#ifndef STRIDE_JSONSCAN_H
#define STRIDE_JSONSCAN_H

#include <stddef.h>

enum {
	JSONSCAN_UTF8 = 0,	/* strings: valid UTF-8, escapes but no \u0000 */
	JSONSCAN_ASCII = 1	/* strings: printable ASCII, no escapes at all */
};

/*
 * Refuse what cJSON would accept but we must not, before it recurses:
 * nesting deeper than depth_max, raw control bytes, bytes outside the
 * mode's string alphabet, unbalanced brackets; and name truncation, which
 * cJSON would only call a parse error. The rest of the grammar is left to
 * the parser. Returns 0, or -1 with *why set to a static reason.
 */
int	json_prescan(const unsigned char *p, size_t len, int depth_max,
	    int mode, const char **why);

#endif
