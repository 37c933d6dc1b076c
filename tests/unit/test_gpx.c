/*
 * test_gpx.c - the GPX reader (xml.c): hand-made documents in the Garmin
 * Connect (TrackPointExtension) and Movescount (cluetrust gpxdata)
 * dialects, read field by field; what is not a track point is ignored;
 * hostile input refused; then the real GPX files of $STRIDE_ACTIVITIES,
 * truncated and bit-flipped, refused or decoded without harm. Skipped
 * with a message without STRIDE_ACTIVITIES.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stride/activity.h"
#include "check.h"

#define MS_20190615T094223	1560591743000LL

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

static const char garmin_gpx[] =
"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
"<gpx creator=\"Garmin Connect\" version=\"1.1\"\n"
"  xmlns:ns3=\"http://www.garmin.com/xmlschemas/TrackPointExtension/v1\"\n"
"  xmlns=\"http://www.topografix.com/GPX/1/1\">\n"
"  <metadata><time>2019-06-15T09:42:00.000Z</time></metadata>\n"
"  <wpt lat=\"1\" lon=\"2\"><time>2019-06-15T09:00:00Z</time></wpt>\n"
"  <rte><rtept lat=\"1\" lon=\"2\"><time>2019-06-15T09:00:01Z</time>"
"</rtept></rte>\n"
"  <trk>\n"
"    <name>Sloatsburg Course</name>\n"
"    <type>running</type>\n"
"    <trkseg>\n"
"      <trkpt lat=\"41.16303957067430019378662109375\" "
"lon=\"-74.17961918748915195465087890625\">\n"
"        <ele>147.1999969482421875</ele>\n"
"        <time>2019-06-15T09:42:23.000Z</time>\n"
"        <extensions><ns3:TrackPointExtension><ns3:atemp>30.0</ns3:atemp>"
"<ns3:hr>71</ns3:hr><ns3:cad>49</ns3:cad></ns3:TrackPointExtension>"
"</extensions>\n"
"      </trkpt>\n"
"      <trkpt lat=\"41.163048706948757\" lon=\"-74.179616337642073\">\n"
"        <time>2019-06-15T09:42:24.000Z</time>\n"
"      </trkpt>\n"
"      <trkpt lat=\"41.2\" lon=\"-74.2\"><ele>1</ele></trkpt>\n"
"    </trkseg>\n"
"    <trkseg>\n"
"      <trkpt lon=\"-74.18\"><time>2019-06-15T09:43:00Z</time>"
"<ele>150</ele></trkpt>\n"
"    </trkseg>\n"
"  </trk>\n"
"</gpx>\n";

static void
test_garmin(void)
{
	struct activity_err	 err;
	struct activity		*a;
	const struct activity_rec *r;

	a = xdec(garmin_gpx, sizeof(garmin_gpx) - 1, ACTIVITY_FMT_GPX, &err);
	CHECK(a != NULL);
	if (a == NULL)
		return;
	CHECK(a->fmt == ACTIVITY_FMT_GPX);
	CHECK(a->sport == ACTIVITY_SPORT_RUNNING);
	CHECK(a->n == 3);		/* no wpt, no rtept, no timeless */
	CHECK(a->dropped == 1);
	CHECK(a->file.has == 0);	/* GPX states no totals */
	if (a->n != 3) {
		activity_free(a);
		return;
	}
	r = &a->rec[0];
	CHECK(r->t_ms == MS_20190615T094223);
	CHECK(r->has == (ACTIVITY_HAS_POS | ACTIVITY_HAS_ALT |
	    ACTIVITY_HAS_HR | ACTIVITY_HAS_CAD));
	CHECK_NEAR(r->lat_deg, 41.16303957067430019378662109375, 1e-12);
	CHECK_NEAR(r->lon_deg, -74.17961918748915195465087890625, 1e-12);
	CHECK_NEAR(r->alt_m, 147.2, 1e-4);
	CHECK(r->hr_bpm == 71);
	CHECK_NEAR(r->cad_spm, 98, 0);
	CHECK(a->rec[1].has == ACTIVITY_HAS_POS);
	CHECK(a->rec[1].t_ms == MS_20190615T094223 + 1000);
	/* lon without lat: no position */
	CHECK(a->rec[2].has == ACTIVITY_HAS_ALT);
	CHECK(a->rec[2].lat_deg == 0 && a->rec[2].lon_deg == 0);
	activity_free(a);
}

static const char movescount_gpx[] =
"<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"no\"?>\n"
"<gpx version=\"1.1\" creator=\"Movescount - http://www.movescount.com\" "
"xmlns:gpxdata=\"http://www.cluetrust.com/XML/GPXDATA/1/0\" "
"xmlns:gpxtpx=\"http://www.garmin.com/xmlschemas/TrackPointExtension/v1\" "
"xmlns=\"http://www.topografix.com/GPX/1/1\">\n"
"  <trk><name>Move</name><trkseg>\n"
"      <trkpt lat=\"42.941313\" lon=\"0.962994\">\n"
"        <ele>714.799987792969</ele>\n"
"        <time>2018-05-13T14:11:03.000Z</time>\n"
"        <extensions />\n"
"      </trkpt>\n"
"      <trkpt lat=\"42.94147\" lon=\"0.962951\">\n"
"        <ele>707</ele>\n"
"        <time>2018-05-13T14:11:10.000Z</time>\n"
"        <extensions>\n"
"          <gpxtpx:TrackPointExtension xmlns:gpxtpx=\"http://www.garmin.com/"
"xmlschemas/TrackPointExtension/v1\"><gpxtpx:hr>98</gpxtpx:hr>"
"</gpxtpx:TrackPointExtension>\n"
"          <gpxdata:cadence>87</gpxdata:cadence>\n"
"          <gpxdata:temp>20.7999992370605</gpxdata:temp>\n"
"          <gpxdata:distance>17</gpxdata:distance>\n"
"          <gpxdata:altitude>9999</gpxdata:altitude>\n"
"          <gpxdata:speed>2.59999990463257</gpxdata:speed>\n"
"          <gpxdata:verticalSpeed>0</gpxdata:verticalSpeed>\n"
"        </extensions>\n"
"      </trkpt>\n"
"  </trkseg></trk>\n"
"  <extensions><gpxdata:lap><gpxdata:index>1</gpxdata:index>"
"<gpxdata:elapsedTime>0</gpxdata:elapsedTime><gpxdata:distance>0"
"</gpxdata:distance></gpxdata:lap></extensions>\n"
"</gpx>\n";

static void
test_movescount(void)
{
	struct activity_err	 err;
	struct activity		*a;
	const struct activity_rec *r;

	a = xdec(movescount_gpx, sizeof(movescount_gpx) - 1,
	    ACTIVITY_FMT_UNKNOWN, &err);
	CHECK(a != NULL);
	if (a == NULL)
		return;
	CHECK(a->fmt == ACTIVITY_FMT_GPX);
	CHECK(a->sport == ACTIVITY_SPORT_UNKNOWN);	/* no <type> */
	CHECK(a->n == 2);
	if (a->n == 2) {
		CHECK(a->rec[0].has == (ACTIVITY_HAS_POS | ACTIVITY_HAS_ALT));
		r = &a->rec[1];
		CHECK(r->has == (ACTIVITY_HAS_POS | ACTIVITY_HAS_ALT |
		    ACTIVITY_HAS_HR | ACTIVITY_HAS_CAD | ACTIVITY_HAS_DIST |
		    ACTIVITY_HAS_SPD));
		CHECK(r->hr_bpm == 98);
		CHECK_NEAR(r->cad_spm, 174, 0);
		CHECK_NEAR(r->dist_m, 17, 0);
		CHECK_NEAR(r->spd_mps, 2.6, 1e-6);
		CHECK_NEAR(r->alt_m, 707, 0);	/* ele, not gpxdata:altitude */
	}
	activity_free(a);
}

/* trk/type and the other sports. */
static void
test_types(void)
{
	static const struct {
		const char		*type;
		enum activity_sport	 sport;
	} tab[] = {
		{ "running", ACTIVITY_SPORT_RUNNING },
		{ "trail_running", ACTIVITY_SPORT_RUNNING },
		{ "Run", ACTIVITY_SPORT_RUNNING },
		{ "walking", ACTIVITY_SPORT_WALKING },
		{ "hiking", ACTIVITY_SPORT_HIKING },
		{ "cycling", ACTIVITY_SPORT_OTHER },
		{ "", ACTIVITY_SPORT_UNKNOWN },
	};
	char			 doc[256];
	struct activity_err	 err;
	struct activity		*a;
	size_t			 i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		snprintf(doc, sizeof(doc), "<gpx><trk><type>%s</type><trkseg>"
		    "<trkpt lat=\"1\" lon=\"2\"><time>2019-06-15T09:42:23Z"
		    "</time></trkpt></trkseg></trk></gpx>", tab[i].type);
		a = xdec(doc, strlen(doc), ACTIVITY_FMT_GPX, &err);
		CHECK(a != NULL && a->sport == tab[i].sport);
		activity_free(a);
	}
}

static int
refused(const char *doc, const char *want, uint64_t line)
{
	struct activity_err	 err;
	struct activity		*a = xdec(doc, strlen(doc), ACTIVITY_FMT_GPX,
				    &err);

	if (a != NULL) {
		activity_free(a);
		return 0;
	}
	if (err.why == NULL || (want != NULL && strstr(err.why, want) == NULL)
	    || (line != 0 && err.line != line)) {
		fprintf(stderr, "refused for \"%s\" (line %llu), wanted \"%s\" "
		    "line %llu\n", err.why ? err.why : "?",
		    (unsigned long long)err.line, want ? want : "",
		    (unsigned long long)line);
		return 0;
	}
	return 1;
}

static void
test_hostile(void)
{
	CHECK(refused("<!DOCTYPE gpx [<!ENTITY a \"aaaaaaaaaaaaaaaaaaaa\">\n"
	    "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n"
	    "<gpx>&b;</gpx>", "DOCTYPE not allowed", 1));
	CHECK(refused("<gpx><trk><trkseg>\n<trkpt lat=\"x\" lon=\"2\">"
	    "</trkpt></trkseg></trk></gpx>", "bad trkpt coordinate", 2));
	CHECK(refused("<gpx><trk><trkseg><trkpt lat=\"1\" lon=\"180.5\">"
	    "</trkpt></trkseg></trk></gpx>", "bad trkpt coordinate", 1));
	CHECK(refused("<gpx><trk><trkseg><trkpt lat=\"1\" lon=\"2\">\n"
	    "<ele>1e999</ele></trkpt></trkseg></trk></gpx>", "bad number", 2));
	CHECK(refused("<gpx><trk><trkseg><trkpt lat=\"1\" lon=\"2\">"
	    "<time>yesterday</time></trkpt></trkseg></trk></gpx>",
	    "bad time", 1));
	CHECK(refused("<gpx><trk><trkseg><trkpt lat=\"1\" lon=\"2\">"
	    "<extensions><cad>-3</cad></extensions></trkpt></trkseg></trk>"
	    "</gpx>", "bad number", 1));
	CHECK(refused("<TrainingCenterDatabase/>", "root element is not gpx",
	    1));
	CHECK(refused("<gpx><trk></gpx>", "mismatched tag", 1));
	CHECK(refused("<gpx/><gpx/>", NULL, 1));	/* junk after root */
}

/* ---- real files ---- */

static const char *const gpx_files[] = {
	"garmin-fr945_stryd_hilly-run_14.0km.gpx",
	"suunto-movescount_hilly-run_12.1km.gpx",
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

static void
test_real(const char *dir)
{
	struct activity_err	 err;
	struct activity		*a;
	char			*b, *m;
	size_t			 len, i, k, p, rootend;
	unsigned		 seed = 4242;
	int			 ok = 0, bad = 0;

	for (i = 0; i < sizeof(gpx_files) / sizeof(gpx_files[0]); i++) {
		if ((b = slurp(dir, gpx_files[i], &len)) == NULL) {
			printf("test_gpx: %s absent, skipped\n", gpx_files[i]);
			continue;
		}
		a = xdec(b, len, ACTIVITY_FMT_GPX, &err);
		CHECK(a != NULL && a->n > 1500 && a->dropped == 0);
		activity_free(a);
		for (rootend = len; rootend > 0 && b[rootend - 1] != '>';
		    rootend--)
			;
		for (k = 0; k < 24; k++) {
			seed = seed * 1103515245 + 12345;
			p = k == 0 ? rootend - 1 : (seed >> 4) % len;
			a = xdec(b, p, ACTIVITY_FMT_GPX, &err);
			CHECK((a == NULL && err.why != NULL) || p >= rootend);
			activity_free(a);
		}
		if ((m = malloc(len)) == NULL)
			exit(1);
		for (k = 0; k < 16; k++) {
			memcpy(m, b, len);
			seed = seed * 1103515245 + 12345;
			m[(seed >> 4) % len] ^= (char)(1u << (seed % 8));
			a = xdec(m, len, ACTIVITY_FMT_GPX, &err);
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
	printf("test_gpx: bit-flipped copies: %d decoded, %d refused\n", ok,
	    bad);
}

int
main(void)
{
	const char *dir;

	test_garmin();
	test_movescount();
	test_types();
	test_hostile();
	if ((dir = getenv("STRIDE_ACTIVITIES")) == NULL)
		printf("test_gpx: STRIDE_ACTIVITIES not set, real files "
		    "skipped\n");
	else if (access(dir, R_OK | X_OK) != 0)
		printf("test_gpx: %s absent, real files skipped\n", dir);
	else
		test_real(dir);
	return check_done("test_gpx");
}
