/*
 * test_csvsrc.c - the agent's CSV replay: a good file reads back exactly;
 * every kind of bad line is refused with its line number and reason. The
 * fixtures are written by the test into a fresh temporary directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "csvsrc.h"

#define START_MS	1700000000000LL

static char	tmpdir[256];

/* Write len bytes of text to a file in tmpdir; returns its path. */
static const char *
fixture(const char *name, const char *text, size_t len)
{
	static char	 path[512];
	FILE		*fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((fp = fopen(path, "wb")) == NULL ||
	    fwrite(text, 1, len, fp) != len || fclose(fp) != 0) {
		perror(path);
		exit(1);
	}
	return path;
}

static void
test_good_file(void)
{
	static const char text[] =
	    "\xef\xbb\xbf" CSVSRC_HEADER "\r\n"
	    "0,170,3.10,,,0\r\n"
	    "1,,3.12,1.5,101.25,3.1\n"
	    "\n"
	    "2.5,171.5,,-2,,\n"
	    "3,,,,-12.5,\n"
	    "4.0004,,0,,,1000000";	/* no line end at the end */
	struct csvsrc		*src;
	struct stride_sample	 s;
	char			 err[256];
	const char		*path;

	path = fixture("good.csv", text, sizeof(text) - 1);
	src = csvsrc_open(path, START_MS, err, sizeof(err));
	CHECK(src != NULL);
	if (src == NULL)
		return;

	CHECK(csvsrc_next(src, &s, err, sizeof(err)) == 1);
	CHECK(s.t_ms == START_MS);
	CHECK(s.has == (STRIDE_HAS_CAD | STRIDE_HAS_SPD | STRIDE_HAS_DIST));
	CHECK_NEAR(s.cad_spm, 170, 1e-4);
	CHECK_NEAR(s.spd_mps, 3.10, 1e-6);
	CHECK_NEAR(s.dist_m, 0, 0);

	CHECK(csvsrc_next(src, &s, err, sizeof(err)) == 1);
	CHECK(s.t_ms == START_MS + 1000);
	CHECK(s.has == (STRIDE_HAS_SPD | STRIDE_HAS_GRADE | STRIDE_HAS_ALT |
	    STRIDE_HAS_DIST));
	CHECK_NEAR(s.grade_pct, 1.5, 1e-6);
	CHECK_NEAR(s.alt_m, 101.25, 1e-4);
	CHECK_NEAR(s.dist_m, 3.1, 1e-9);
	CHECK(s.cad_spm == 0);		/* absent fields stay zero */

	/* The empty line 4 is skipped; line numbers still count it. */
	CHECK(csvsrc_next(src, &s, err, sizeof(err)) == 1);
	CHECK(s.t_ms == START_MS + 2500);
	CHECK(s.has == (STRIDE_HAS_CAD | STRIDE_HAS_GRADE));
	CHECK_NEAR(s.grade_pct, -2, 1e-6);
	CHECK(csvsrc_lineno(src) == 5);

	CHECK(csvsrc_next(src, &s, err, sizeof(err)) == 1);
	CHECK(s.has == STRIDE_HAS_ALT);
	CHECK_NEAR(s.alt_m, -12.5, 1e-6);

	CHECK(csvsrc_next(src, &s, err, sizeof(err)) == 1);
	CHECK(s.t_ms == START_MS + 4000);	/* rounded to the ms */
	CHECK(s.has == (STRIDE_HAS_SPD | STRIDE_HAS_DIST));
	CHECK_NEAR(s.dist_m, STRIDE_DIST_MAX_M, 0);

	CHECK(csvsrc_next(src, &s, err, sizeof(err)) == 0);
	CHECK(csvsrc_next(src, &s, err, sizeof(err)) == 0);
	CHECK(csvsrc_lineno(src) == 7);
	csvsrc_close(src);
	csvsrc_close(NULL);
}

/* Each bad line goes on line 4, after the header and two good lines. */
static void
test_bad_lines(void)
{
	static const struct {
		const char	*line;
		const char	*why;
	} t[] = {
		{ "3,170,3.2,,", "too few fields" },
		{ "3,170,3.2,,,,", "too many fields" },
		{ "3", "too few fields" },
		{ "", NULL },			/* skipped: then end of file */
		{ ",170,3.2,,,", "t_s is missing" },
		{ "abc,170,3.2,,,", "t_s is not a number" },
		{ "3,fast,3.2,,,", "cad_spm is not a number" },
		{ "3,170,nan,,,", "spd_mps is not a number" },
		{ "3,170,inf,,,", "spd_mps is not a number" },
		{ "3,170,0x1p1,,,", "spd_mps is not a number" },
		{ "3,170, 3.2,,,", "spd_mps is not a number" },
		{ "3,170,3.2x,,,", "spd_mps is not a number" },
		{ "3,170,3..2,,,", "spd_mps is not a number" },
		{ "3,170,-,,,", "spd_mps is not a number" },
		{ "3,170,,,1e999,", "alt_m is not a number" },
		{ "3,170,,,,1,5", "too many fields" },
		{ "3,170,3.2,2%,,", "grade_pct is not a number" },
		{ "2,170,3.2,,,", "t_s not increasing" },
		{ "1,170,3.2,,,", "t_s not increasing" },
		{ "2.0004,170,3.2,,,", "t_s not increasing" },	/* same ms */
		{ "-1,170,3.2,,,", "t_s out of range" },
		{ "86400.5,170,3.2,,,", "t_s out of range" },
		{ "3,300.1,,,,", "cad_spm out of range" },
		{ "3,-1,,,,", "cad_spm out of range" },
		{ "3,,12.01,,,", "spd_mps out of range" },
		{ "3,,-0.5,,,", "spd_mps out of range" },
		{ "3,,,45.1,,", "grade_pct out of range" },
		{ "3,,,-45.1,,", "grade_pct out of range" },
		{ "3,,,,-500.1,", "alt_m out of range" },
		{ "3,,,,9000.1,", "alt_m out of range" },
		{ "3,,,,,1000000.01", "dist_m out of range" },
		{ "3,,,,,-3", "dist_m out of range" },
		{ "3,,,,,", "no measurement" },
	};
	struct csvsrc		*src;
	struct stride_sample	 s;
	char			 text[512], err[256], want[64];
	const char		*path;
	size_t			 i;
	int			 n, r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = snprintf(text, sizeof(text), "%s\n1,170,3.1,,,0\n"
		    "2,171,3.2,,,3.1\n%s\n", CSVSRC_HEADER, t[i].line);
		path = fixture("bad.csv", text, (size_t)n);
		src = csvsrc_open(path, START_MS, err, sizeof(err));
		CHECK(src != NULL);
		if (src == NULL)
			continue;
		CHECK(csvsrc_next(src, &s, err, sizeof(err)) == 1);
		CHECK(csvsrc_next(src, &s, err, sizeof(err)) == 1);
		r = csvsrc_next(src, &s, err, sizeof(err));
		if (t[i].why == NULL) {
			CHECK(r == 0);
			csvsrc_close(src);
			continue;
		}
		CHECK(r == -1);
		snprintf(want, sizeof(want), "bad.csv:4: %s", t[i].why);
		if (r != -1 || strstr(err, want) == NULL)
			fprintf(stderr, "line \"%s\": got \"%s\", want \"%s\"\n",
			    t[i].line, r == -1 ? err : "(accepted)", want);
		CHECK(r == -1 && strstr(err, want) != NULL);
		/* A failed source stays failed. */
		CHECK(csvsrc_next(src, &s, err, sizeof(err)) == -1);
		csvsrc_close(src);
	}
}

static void
test_hostile_bytes(void)
{
	struct csvsrc		*src;
	struct stride_sample	 s;
	char			 text[1024], err[256];
	const char		*path;
	size_t			 n;

	/* A line one byte over the cap, then one exactly at it. */
	n = (size_t)snprintf(text, sizeof(text), "%s\n0,170,,,,\n",
	    CSVSRC_HEADER);
	memset(text + n, '0', CSVSRC_LINE_MAX + 1);
	memcpy(text + n, "1,170,,,,", 9);
	n += CSVSRC_LINE_MAX + 1;
	text[n++] = '\n';
	path = fixture("long.csv", text, n);
	CHECK((src = csvsrc_open(path, START_MS, err, sizeof(err))) != NULL);
	CHECK(csvsrc_next(src, &s, err, sizeof(err)) == 1);
	CHECK(csvsrc_next(src, &s, err, sizeof(err)) == -1);
	CHECK(strstr(err, "long.csv:3: line too long") != NULL);
	csvsrc_close(src);

	/* At the cap: read whole, then refused only for its content
	 * (the trailing zeros make dist far out of range). */
	n = (size_t)snprintf(text, sizeof(text), "%s\n", CSVSRC_HEADER);
	memset(text + n, '0', CSVSRC_LINE_MAX);
	memcpy(text + n, "1,170,,,,1", 10);
	n += CSVSRC_LINE_MAX;
	text[n++] = '\n';
	path = fixture("cap.csv", text, n);
	CHECK((src = csvsrc_open(path, START_MS, err, sizeof(err))) != NULL);
	CHECK(csvsrc_next(src, &s, err, sizeof(err)) == -1);
	CHECK(strstr(err, "cap.csv:2: dist_m is not a number") != NULL ||
	    strstr(err, "cap.csv:2: dist_m out of range") != NULL);
	csvsrc_close(src);

	/* A NUL byte inside a line. */
	n = (size_t)snprintf(text, sizeof(text), "%s\n0,170,,,,\n1,17",
	    CSVSRC_HEADER);
	text[n++] = '\0';
	memcpy(text + n, "0,,,,\n", 6);
	n += 6;
	path = fixture("nul.csv", text, n);
	CHECK((src = csvsrc_open(path, START_MS, err, sizeof(err))) != NULL);
	CHECK(csvsrc_next(src, &s, err, sizeof(err)) == 1);
	CHECK(csvsrc_next(src, &s, err, sizeof(err)) == -1);
	CHECK(strstr(err, "nul.csv:3: NUL byte") != NULL);
	csvsrc_close(src);
}

static void
test_bad_open(void)
{
	static const struct {
		const char	*text;
		const char	*want;
	} t[] = {
		{ "", "hdr.csv:1: empty file" },
		{ "t_s,cad_spm,spd_mps\n0,170,3\n", "hdr.csv:1: bad header" },
		{ "T_S,CAD_SPM,SPD_MPS,GRADE_PCT,ALT_M,DIST_M\n",
		    "hdr.csv:1: bad header" },
		{ "0,170,3.1,,,0\n", "hdr.csv:1: bad header" },
	};
	struct csvsrc	*src;
	char		 err[256], path[512];
	size_t		 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		fixture("hdr.csv", t[i].text, strlen(t[i].text));
		snprintf(path, sizeof(path), "%s/hdr.csv", tmpdir);
		src = csvsrc_open(path, START_MS, err, sizeof(err));
		CHECK(src == NULL && strstr(err, t[i].want) != NULL);
		csvsrc_close(src);
	}
	snprintf(path, sizeof(path), "%s/missing.csv", tmpdir);
	CHECK(csvsrc_open(path, START_MS, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "missing.csv") != NULL);
	/* A start time that would put samples outside the protocol. */
	fixture("ok.csv", CSVSRC_HEADER "\n0,170,,,,\n",
	    strlen(CSVSRC_HEADER) + 11);
	snprintf(path, sizeof(path), "%s/ok.csv", tmpdir);
	CHECK(csvsrc_open(path, 1000, err, sizeof(err)) == NULL);
	CHECK(csvsrc_open(path, STRIDE_T_MAX_MS, err, sizeof(err)) == NULL);
	src = csvsrc_open(path, START_MS, err, sizeof(err));
	CHECK(src != NULL);
	csvsrc_close(src);
}

static void
test_parse_line(void)
{
	struct stride_sample	 s;
	const char		*why = NULL;

	/* The pure parser, without a file: milliseconds and ordering. */
	CHECK(csvsrc_parse_line("0.0015,,1,,,", 12, -1, &s, &why) == 0);
	CHECK(s.t_ms == 2);
	CHECK(csvsrc_parse_line("0.002,,1,,,", 11, 2, &s, &why) == -1);
	CHECK(strcmp(why, "t_s not increasing") == 0);
	CHECK(csvsrc_parse_line("0.003,,1,,,", 11, 2, &s, &why) == 0);
	CHECK(s.t_ms == 3 && s.has == STRIDE_HAS_SPD);
	/* len bounds the line: bytes after it are not read. */
	CHECK(csvsrc_parse_line("5,,1,,,9999999", 7, -1, &s, &why) == 0);
	CHECK(s.has == STRIDE_HAS_SPD);
	CHECK(csvsrc_parse_line("1e3,300,12,45,9000,1e6", 22, -1, &s,
	    &why) == 0);
	CHECK(s.t_ms == 1000000 && s.has == (STRIDE_HAS_CAD | STRIDE_HAS_SPD |
	    STRIDE_HAS_GRADE | STRIDE_HAS_ALT | STRIDE_HAS_DIST));
}

int
main(void)
{
	static const char *files[] = { "good.csv", "bad.csv", "long.csv",
	    "cap.csv", "nul.csv", "hdr.csv", "ok.csv" };
	const char	*base = getenv("TMPDIR");
	char		 path[512];
	size_t		 i;

	snprintf(tmpdir, sizeof(tmpdir), "%s/test_csvsrc.XXXXXX",
	    base != NULL && base[0] != '\0' ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_good_file();
	test_bad_lines();
	test_hostile_bytes();
	test_bad_open();
	test_parse_line();
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
		(void)unlink(path);
	}
	if (rmdir(tmpdir) == -1)
		perror(tmpdir);
	return check_done("test_csvsrc");
}
