/*
 * jsonscan.c - see jsonscan.h. One pass over the raw bytes, tracking
 * strings and bracket depth; no allocation.
 */
#include <string.h>

#include "jsonscan.h"

/* Length of the valid UTF-8 sequence at p (avail bytes left), 0 if invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t
jsonscan_utf8_len(const unsigned char *p, size_t avail)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] == 0xe0) {
		n = 3;
		lo = 0xa0;
	} else if (p[0] == 0xed) {
		n = 3;
		hi = 0x9f;
	} else if (p[0] >= 0xe1 && p[0] <= 0xef)
		n = 3;
	else if (p[0] == 0xf0) {
		n = 4;
		lo = 0x90;
	} else if (p[0] >= 0xf1 && p[0] <= 0xf3)
		n = 4;
	else if (p[0] == 0xf4) {
		n = 4;
		hi = 0x8f;
	} else
		return 0;
	if (avail < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	}
	return n;
}

int
json_prescan(const unsigned char *p, size_t len, int depth_max, int mode,
    const char **why)
{
	size_t	i = 0, n;
	int	depth = 0, in_str = 0;

	while (i < len) {
		unsigned char c = p[i];

		if (mode == JSONSCAN_ASCII && c == '\\') {
			*why = "escape in JSON";
			return -1;
		}
		if (in_str) {
			if (c == '"') {
				in_str = 0;
				i++;
			} else if (mode == JSONSCAN_ASCII) {
				if (c < 0x20 || c > 0x7e) {
					*why = "string not printable ASCII";
					return -1;
				}
				i++;
			} else if (c == '\\') {
				if (len - i >= 6 && p[i + 1] == 'u' &&
				    memcmp(p + i + 2, "0000", 4) == 0) {
					*why = "NUL escape in string";
					return -1;
				}
				i += 2;	/* the parser checks the escape itself */
			} else if (c < 0x20) {
				*why = "control character in string";
				return -1;
			} else if (c < 0x80)
				i++;
			else if ((n = jsonscan_utf8_len(p + i, len - i)) == 0) {
				*why = "invalid UTF-8";
				return -1;
			} else
				i += n;
			continue;
		}
		switch (c) {
		case '"':
			in_str = 1;
			break;
		case '{':
		case '[':
			if (++depth > depth_max) {
				*why = "nesting too deep";
				return -1;
			}
			break;
		case '}':
		case ']':
			if (--depth < 0) {
				*why = "unbalanced brackets";
				return -1;
			}
			break;
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			break;
		default:
			if (c < 0x20 || c >= 0x7f) {
				*why = "invalid byte outside string";
				return -1;
			}
			break;
		}
		i++;
	}
	if (in_str || depth > 0) {
		*why = "truncated JSON";
		return -1;
	}
	return 0;
}
