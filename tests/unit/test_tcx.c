/*
 * test_tcx.c - the TCX reader (xml.c): hand-made documents in the Garmin
 * and Polar dialects, read field by field; the time syntax; hostile XML
 * (entity bombs, external entities, deep nesting, long or malformed
 * values, wrong roots) refused with a reason and a line; then the real
 * TCX files of $STRIDE_ACTIVITIES, truncated and bit-flipped, refused or
 * decoded without harm. Skipped with a message without STRIDE_ACTIVITIES.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stride/activity.h"
#include "check.h"

#define T(s)	"<Time>" s "</Time>"

/* Decode doc as fmt from a heap copy of exactly its length (no NUL), so
 * that a read past the end trips ASan. NULL with *err on refusal. */
static struct activity *
xdec(const char *doc, size_t len, enum activity_format fmt,
    struct activity_err *err)
{
	struct activity	*a = activity_new();
	char		*copy = malloc(len > 0 ? len : 1);

	if (a == NULL || copy == NULL) {
		perror("malloc");
		exit(1);
	}
	memcpy(copy, doc, len);
	memset(err, 0, sizeof(*err));
	if (xml_decode(copy, len, fmt, a, err) != 0) {
		free(copy);
		activity_free(a);
		return NULL;
	}
	free(copy);
	return a;
}

/* 1 if doc is refused with a reason containing want (if not NULL), at
 * line `line` (if not 0). */
static int
refused(const char *doc, const char *want, uint64_t line)
{
	struct activity_err	 err;
	struct activity		*a = xdec(doc, strlen(doc), ACTIVITY_FMT_TCX,
				    &err);
	char			 e[256];

	if (a != NULL) {
		activity_free(a);
		fprintf(stderr, "accepted: %.60s\n", doc);
		return 0;
	}
	if (err.why == NULL || (want != NULL && strstr(err.why, want) == NULL)
	    || (line != 0 && err.line != line)) {
		fprintf(stderr, "refused for \"%s\", wanted \"%s\" line %llu\n",
		    activity_strerror(&err, e, sizeof(e)), want ? want : "",
		    (unsigned long long)line);
		return 0;
	}
	return 1;
}

static const char garmin_tcx[] =
"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
"<TrainingCenterDatabase xmlns=\"http://www.garmin.com/xmlschemas/"
"TrainingCenterDatabase/v2\" xmlns:ns3=\"http://www.garmin.com/xmlschemas/"
"ActivityExtension/v2\">\n"
" <Activities>\n"
"  <Activity Sport=\"Running\">\n"
"   <Id>2019-06-15T09:42:00.000Z</Id>\n"
"   <Lap StartTime=\"2019-06-15T09:42:23.000Z\">\n"
"    <TotalTimeSeconds>2.5</TotalTimeSeconds>\n"
"    <DistanceMeters>7.5</DistanceMeters>\n"
"    <MaximumSpeed>4.3</MaximumSpeed>\n"
"    <AverageHeartRateBpm><Value>135</Value></AverageHeartRateBpm>\n"
"    <Track>\n"
"     <Trackpoint>\n"
"      " T("2019-06-15T09:42:23.000Z") "\n"
"      <Position><LatitudeDegrees>41.1630395706743</LatitudeDegrees>"
"<LongitudeDegrees>-74.17961918748915</LongitudeDegrees></Position>\n"
"      <AltitudeMeters>147.1999969482422</AltitudeMeters>\n"
"      <DistanceMeters>1.19</DistanceMeters>\n"
"      <HeartRateBpm><Value>71</Value></HeartRateBpm>\n"
"      <Extensions><ns3:TPX><ns3:Speed>1.446</ns3:Speed>"
"<ns3:RunCadence>49</ns3:RunCadence></ns3:TPX></Extensions>\n"
"     </Trackpoint>\n"
"     <Trackpoint>\n"
"      " T(" 2019-06-15T09:42:24.500Z ") "\n"	/* spaces around */
"      <AltitudeMeters>  146.8 </AltitudeMeters>\n"
"      <DistanceMeters>2.23</DistanceMeters>\n"
"      <Cadence>40</Cadence>\n"			/* RunCadence wins */
"      <Extensions><ns3:TPX><ns3:RunCadence>80</ns3:RunCadence>"
"<ns3:Speed></ns3:Speed></ns3:TPX></Extensions>\n"	/* empty: absent */
"     </Trackpoint>\n"
"    </Track>\n"
"    <Extensions><ns3:LX><ns3:AvgSpeed>2.5</ns3:AvgSpeed>"
"<ns3:AvgRunCadence>79</ns3:AvgRunCadence></ns3:LX></Extensions>\n"
"   </Lap>\n"
"   <Lap StartTime=\"2019-06-15T09:42:26.000Z\">\n"
"    <TotalTimeSeconds>7.5</TotalTimeSeconds>\n"
"    <DistanceMeters>20</DistanceMeters>\n"
"    <Track><Trackpoint>" T("2019-06-15T11:42:26+02:00")
"<DistanceMeters>9.5</DistanceMeters></Trackpoint>\n"
"    <Trackpoint><DistanceMeters>11</DistanceMeters></Trackpoint>\n"
"    </Track>\n"
"    <Extensions><ns3:LX><ns3:AvgRunCadence>83</ns3:AvgRunCadence>"
"</ns3:LX></Extensions>\n"
"   </Lap>\n"
"   <Creator><Name>Forerunner 945</Name></Creator>\n"
"  </Activity>\n"
"  <Activity Sport=\"Biking\">\n"			/* skipped */
"   <Lap StartTime=\"2019-06-16T09:00:00Z\"><TotalTimeSeconds>99"
"</TotalTimeSeconds><Track><Trackpoint>" T("2019-06-16T09:00:00Z")
"</Trackpoint></Track></Lap>\n"
"  </Activity>\n"
" </Activities>\n"
"</TrainingCenterDatabase>\n";

#define MS_20190615T094223	1560591743000LL

static void
test_garmin(void)
{
	struct activity_err	 err;
	struct activity		*a;
	const struct activity_rec *r;

	a = xdec(garmin_tcx, sizeof(garmin_tcx) - 1, ACTIVITY_FMT_TCX, &err);
	CHECK(a != NULL);
	if (a == NULL)
		return;
	CHECK(a->fmt == ACTIVITY_FMT_TCX);
	CHECK(a->sport == ACTIVITY_SPORT_RUNNING);
	CHECK(a->n == 3);
	CHECK(a->dropped == 1);		/* the trackpoint without a time */
	if (a->n != 3) {
		activity_free(a);
		return;
	}
	r = &a->rec[0];
	CHECK(r->t_ms == MS_20190615T094223);
	CHECK(r->has == (ACTIVITY_HAS_POS | ACTIVITY_HAS_ALT |
	    ACTIVITY_HAS_DIST | ACTIVITY_HAS_HR | ACTIVITY_HAS_SPD |
	    ACTIVITY_HAS_CAD));
	CHECK_NEAR(r->lat_deg, 41.1630395706743, 1e-12);
	CHECK_NEAR(r->lon_deg, -74.17961918748915, 1e-12);
	CHECK_NEAR(r->alt_m, 147.2, 1e-4);
	CHECK_NEAR(r->dist_m, 1.19, 1e-12);
	CHECK(r->hr_bpm == 71);
	CHECK_NEAR(r->spd_mps, 1.446, 1e-6);
	CHECK_NEAR(r->cad_spm, 98, 0);		/* strides x 2 */

	r = &a->rec[1];
	CHECK(r->t_ms == MS_20190615T094223 + 1500);
	CHECK(r->has == (ACTIVITY_HAS_ALT | ACTIVITY_HAS_DIST |
	    ACTIVITY_HAS_CAD));
	CHECK_NEAR(r->alt_m, 146.8, 1e-4);
	CHECK_NEAR(r->cad_spm, 160, 0);

	r = &a->rec[2];
	CHECK(r->t_ms == MS_20190615T094223 + 3000);	/* +02:00 */
	CHECK(r->has == ACTIVITY_HAS_DIST);

	/* Totals: the laps' sums; cadence weighted by lap time, doubled. */
	CHECK(a->file.has == (ACTIVITY_TOT_TIMER | ACTIVITY_TOT_DIST |
	    ACTIVITY_TOT_CAD));
	CHECK_NEAR(a->file.timer_s, 10, 1e-12);
	CHECK_NEAR(a->file.dist_m, 27.5, 1e-12);
	CHECK_NEAR(a->file.avg_cad_spm, 2 * (79 * 2.5 + 83 * 7.5) / 10, 1e-9);
	activity_free(a);
}

/* Polar: no prefixes, running cadence in the plain Cadence element, lap
 * cadence in the lap's Cadence, several Track elements in one lap. */
static const char polar_tcx[] =
"<?xml version=\"1.0\" encoding=\"UTF-8\"?><TrainingCenterDatabase xmlns="
"\"http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2\"><Activities>"
"<Activity Sport=\"Running\"><Id>2019-01-29T10:25:12.000Z</Id>"
"<Lap xmlns=\"http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2\" "
"StartTime=\"2019-01-29T10:25:13.000Z\"><TotalTimeSeconds>142.0"
"</TotalTimeSeconds><DistanceMeters>142.89999389648438</DistanceMeters>"
"<Cadence>60</Cadence><Track><Trackpoint>" T("2019-01-29T10:25:13.000Z")
"<Position><LatitudeDegrees>48.05249767</LatitudeDegrees><LongitudeDegrees>"
"6.9482215</LongitudeDegrees></Position><AltitudeMeters>926.146"
"</AltitudeMeters><DistanceMeters>0.6000000238418579</DistanceMeters>"
"<HeartRateBpm><Value>109</Value></HeartRateBpm><Cadence>0</Cadence>"
"<SensorState>Present</SensorState></Trackpoint></Track><Track><Trackpoint>"
T("2019-01-29T11:05:09.719Z") "<HeartRateBpm><Value>112</Value>"
"</HeartRateBpm><Cadence>63</Cadence></Trackpoint></Track><Extensions><LX "
"xmlns=\"http://www.garmin.com/xmlschemas/ActivityExtension/v2\"><AvgSpeed>"
"1.0</AvgSpeed></LX></Extensions></Lap></Activity></Activities>"
"</TrainingCenterDatabase>";

static void
test_polar(void)
{
	struct activity_err	 err;
	struct activity		*a;

	a = xdec(polar_tcx, sizeof(polar_tcx) - 1, ACTIVITY_FMT_UNKNOWN, &err);
	CHECK(a != NULL);
	if (a == NULL)
		return;
	CHECK(a->fmt == ACTIVITY_FMT_TCX);	/* told by the root */
	CHECK(a->n == 2);
	if (a->n == 2) {
		CHECK(a->rec[0].has & ACTIVITY_HAS_CAD);
		CHECK(a->rec[0].cad_spm == 0);
		CHECK(a->rec[1].cad_spm == 126);
		CHECK(a->rec[1].hr_bpm == 112);
		CHECK(a->rec[1].t_ms - a->rec[0].t_ms == 2396719);
		CHECK(!(a->rec[1].has & ACTIVITY_HAS_POS));
	}
	CHECK_NEAR(a->file.avg_cad_spm, 120, 0);
	CHECK_NEAR(a->file.timer_s, 142, 0);
	activity_free(a);
}

/* The dateTime forms we accept, and the ones we refuse. */
static void
test_times(void)
{
	static const struct {
		const char	*t;
		int64_t		 ms;	/* -1: refused */
	} tab[] = {
		{ "2019-06-15T09:42:23Z", MS_20190615T094223 },
		{ "2019-06-15T09:42:23.000Z", MS_20190615T094223 },
		{ "2019-06-15T09:42:23.5Z", MS_20190615T094223 + 500 },
		{ "2019-06-15T09:42:23.123456789Z", MS_20190615T094223 + 123 },
		{ "2019-06-15T09:42:23", MS_20190615T094223 },	/* UTC */
		{ "2019-06-15t09:42:23z", MS_20190615T094223 },
		{ "2019-06-15T11:42:23+02:00", MS_20190615T094223 },
		{ "2019-06-15T04:12:23-0530", MS_20190615T094223 },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2000-02-29T00:00:00Z", 951782400000LL },
		{ "1969-12-31T23:59:59Z", -1000 },
		{ "2019-02-29T00:00:00Z", -1 },
		{ "1900-02-29T00:00:00Z", -1 },
		{ "2019-13-01T00:00:00Z", -1 },
		{ "2019-06-15 09:42:23Z", -1 },
		{ "2019-06-15T24:00:00Z", -1 },
		{ "2019-06-15T09:42:23.Z", -1 },
		{ "2019-06-15T09:42:23+2:00", -1 },
		{ "2019-06-15T09:42:23Zjunk", -1 },
		{ "20190615T094223Z", -1 },
		{ "0000-01-01T00:00:00Z", -1 },
	};
	char			 doc[512];
	struct activity_err	 err;
	struct activity		*a;
	size_t			 i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		snprintf(doc, sizeof(doc), "<TrainingCenterDatabase><Activities>"
		    "<Activity><Lap><Track><Trackpoint><Time>%s</Time>"
		    "<HeartRateBpm><Value>100</Value></HeartRateBpm>"
		    "</Trackpoint></Track></Lap></Activity></Activities>"
		    "</TrainingCenterDatabase>", tab[i].t);
		a = xdec(doc, strlen(doc), ACTIVITY_FMT_TCX, &err);
		if (tab[i].ms == -1)
			CHECK(a == NULL && strcmp(err.why, "bad time") == 0);
		else {
			CHECK(a != NULL && a->n == 1);
			if (a != NULL && a->n == 1)
				CHECK(a->rec[0].t_ms == tab[i].ms);
		}
		if (a == NULL && tab[i].ms != -1)
			fprintf(stderr, "refused time %s\n", tab[i].t);
		activity_free(a);
	}
}

/* Hostile or broken XML, each refused for its reason, at its line. */
static void
test_hostile(void)
{
	char	*deep, *p;
	size_t	 i;

	/* Entity expansion ("billion laughs"): refused at the DOCTYPE,
	 * before any entity is declared. */
	CHECK(refused("<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE lolz [\n"
	    " <!ENTITY lol \"lol\">\n"
	    " <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	    " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	    "]>\n"
	    "<TrainingCenterDatabase>&lol3;</TrainingCenterDatabase>",
	    "DOCTYPE not allowed", 2));
	/* External entities: never fetched, the DOCTYPE is refused. */
	CHECK(refused("<!DOCTYPE t [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
	    "<TrainingCenterDatabase>&x;</TrainingCenterDatabase>",
	    "DOCTYPE not allowed", 1));
	CHECK(refused("<!DOCTYPE TrainingCenterDatabase SYSTEM "
	    "\"http://example.com/evil.dtd\"><TrainingCenterDatabase/>",
	    "DOCTYPE not allowed", 1));
	/* An undeclared entity is an XML error of its own. */
	CHECK(refused("<TrainingCenterDatabase>&x;</TrainingCenterDatabase>",
	    NULL, 1));

	/* Nesting: 32 levels are fine, 33 are not. */
	if ((deep = malloc(64 * 40)) == NULL)
		exit(1);
	for (p = deep, i = 0; i < 33; i++)
		p += sprintf(p, i == 0 ? "<TrainingCenterDatabase>" : "<a>");
	for (i = 0; i < 32; i++)
		p += sprintf(p, "</a>");
	sprintf(p, "</TrainingCenterDatabase>");
	CHECK(refused(deep, "nested too deep", 1));
	for (p = deep, i = 0; i < 32; i++)
		p += sprintf(p, i == 0 ? "<TrainingCenterDatabase>" : "<a>");
	for (i = 0; i < 31; i++)
		p += sprintf(p, "</a>");
	sprintf(p, "</TrainingCenterDatabase>");
	{
		struct activity_err	 err;
		struct activity		*a = xdec(deep, strlen(deep),
					    ACTIVITY_FMT_TCX, &err);

		CHECK(a != NULL && a->n == 0);	/* fine, but no records */
		activity_free(a);
	}
	free(deep);

	/* Values: too long, not numbers, out of range, not finite. */
	CHECK(refused("<TrainingCenterDatabase><Activities><Activity><Lap>"
	    "<Track><Trackpoint>\n<DistanceMeters>1.0000000000000000000000"
	    "0000000000000000000000000000000000000000000000000000000000000000"
	    "0000000000000000</DistanceMeters>",
	    "value too long", 2));
	CHECK(refused("<TrainingCenterDatabase><Activities><Activity><Lap>"
	    "<Track><Trackpoint>" T("2019-06-15T09:42:23Z") "\n\n"
	    "<AltitudeMeters>12abc</AltitudeMeters></Trackpoint></Track></Lap>"
	    "</Activity></Activities></TrainingCenterDatabase>",
	    "bad number", 3));
	CHECK(refused("<TrainingCenterDatabase><Activities><Activity><Lap>"
	    "<Track><Trackpoint><Position><LatitudeDegrees>91"
	    "</LatitudeDegrees></Position></Trackpoint></Track></Lap>"
	    "</Activity></Activities></TrainingCenterDatabase>",
	    "bad number", 1));
	CHECK(refused("<TrainingCenterDatabase><Activities><Activity><Lap>"
	    "<Track><Trackpoint><DistanceMeters>nan</DistanceMeters>"
	    "</Trackpoint></Track></Lap></Activity></Activities>"
	    "</TrainingCenterDatabase>", "bad number", 1));
	CHECK(refused("<TrainingCenterDatabase><Activities><Activity><Lap>"
	    "<Track><Trackpoint><HeartRateBpm><Value>256</Value>"
	    "</HeartRateBpm></Trackpoint></Track></Lap></Activity>"
	    "</Activities></TrainingCenterDatabase>", "bad number", 1));
	CHECK(refused("<TrainingCenterDatabase><Activities><Activity><Lap>"
	    "<TotalTimeSeconds>-1</TotalTimeSeconds></Lap></Activity>"
	    "</Activities></TrainingCenterDatabase>", "bad number", 1));

	/* Not well-formed, wrong root, not XML, empty. */
	CHECK(refused("<TrainingCenterDatabase><Activities>\n</Activity>"
	    "</TrainingCenterDatabase>", "mismatched tag", 2));
	CHECK(refused("<gpx version=\"1.1\"></gpx>",
	    "root element is not TrainingCenterDatabase", 1));
	CHECK(refused("\x0e\x10\x00\x00\x00\x00\x00\x00.FIT", NULL, 0));
	CHECK(refused("", NULL, 0));
	CHECK(refused("<TrainingCenterDatabase>", NULL, 0));
}

/* ---- real files ---- */

static const char *const tcx_files[] = {
	"polar-m400_run-walk_4.5km.tcx",
	"garmin-fr945_stryd_hilly-run_14.0km.tcx",
};

static char *
slurp(const char *dir, const char *name, size_t *len)
{
	char	 path[1024];
	FILE	*f;
	char	*b;
	long	 n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (b = malloc((size_t)n + 1)) == NULL ||
	    fread(b, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

/*
 * Prefixes of a real file are refused, except those that already hold the
 * whole root element (only trailing whitespace is cut); bit-flipped copies
 * are refused with a reason or decode to ordered records, never crash.
 */
static void
test_real(const char *dir)
{
	struct activity_err	 err;
	struct activity		*a;
	char			*b, *m;
	size_t			 len, i, k, p, rootend;
	unsigned		 seed = 777;
	int			 ok = 0, bad = 0;

	for (i = 0; i < sizeof(tcx_files) / sizeof(tcx_files[0]); i++) {
		if ((b = slurp(dir, tcx_files[i], &len)) == NULL) {
			printf("test_tcx: %s absent, skipped\n", tcx_files[i]);
			continue;
		}
		a = xdec(b, len, ACTIVITY_FMT_TCX, &err);
		CHECK(a != NULL);
		CHECK(a != NULL && a->n > 3000 && a->dropped == 0);
		activity_free(a);
		for (rootend = len; rootend > 0 && b[rootend - 1] != '>';
		    rootend--)
			;
		for (k = 0; k < 24; k++) {
			seed = seed * 1103515245 + 12345;
			p = k == 0 ? rootend - 1 : (seed >> 4) % len;
			a = xdec(b, p, ACTIVITY_FMT_TCX, &err);
			CHECK((a == NULL && err.why != NULL) || p >= rootend);
			activity_free(a);
		}
		if ((m = malloc(len)) == NULL)
			exit(1);
		for (k = 0; k < 16; k++) {
			memcpy(m, b, len);
			seed = seed * 1103515245 + 12345;
			m[(seed >> 4) % len] ^= (char)(1u << (seed % 8));
			a = xdec(m, len, ACTIVITY_FMT_TCX, &err);
			if (a == NULL) {
				CHECK(err.why != NULL);
				bad++;
				continue;
			}
			ok++;
			activity_finish(a);
			for (p = 1; p < a->n; p++)
				CHECK(a->rec[p].t_ms > a->rec[p - 1].t_ms);
			activity_free(a);
		}
		free(m);
		free(b);
	}
	printf("test_tcx: bit-flipped copies: %d decoded, %d refused\n", ok,
	    bad);
}

int
main(void)
{
	const char *dir;

	test_garmin();
	test_polar();
	test_times();
	test_hostile();
	if ((dir = getenv("STRIDE_ACTIVITIES")) == NULL)
		printf("test_tcx: STRIDE_ACTIVITIES not set, real files "
		    "skipped\n");
	else if (access(dir, R_OK | X_OK) != 0)
		printf("test_tcx: %s absent, real files skipped\n", dir);
	else
		test_real(dir);
	return check_done("test_tcx");
}
