/*
 * xml.c - the TCX and GPX readers, on expat (see stride/activity.h and
 * docs/activity-files.md, which also says why expat).
 *
 * The only file that includes expat. One streaming pass, no document
 * tree: a stack of the open elements' names (matched by local name, so
 * any namespace prefix works: exporters disagree on prefixes and on the
 * extension namespaces' versions), a trackpoint being filled, and a small
 * buffer for the text of the one element whose value we want.
 *
 * TCX: the first Activity (its Sport attribute); per Lap, TotalTimeSeconds,
 * DistanceMeters, Cadence and Extensions/LX/AvgRunCadence into the file's
 * totals; per Trackpoint, Time, Position/LatitudeDegrees and
 * LongitudeDegrees, AltitudeMeters, DistanceMeters, HeartRateBpm/Value,
 * Cadence, and Extensions/TPX/Speed and RunCadence. Later Activity
 * elements (multi-activity exports) are skipped.
 * GPX: every trk/trkseg/trkpt: the lat and lon attributes, ele, time, and
 * under extensions (any depth) hr, cad and cadence (TrackPointExtension,
 * cluetrust gpxdata), speed and distance (gpxdata, TrackPointExtension
 * v2). trk/type gives the sport. GPX states no totals.
 * Cadence in all of them is per leg (strides/min): doubled to steps/min.
 *
 * Hostile input:
 *  - any DOCTYPE is refused at its start, before its internal subset is
 *    read, so no entity can ever be declared: no "billion laughs", no
 *    external entities (expat never fetches them itself anyway; we set no
 *    external entity handler and parameter entity parsing is off); expat's
 *    own amplification limits are tightened as well, in case;
 *  - the input is capped at ACTIVITY_FILE_MAX bytes, nesting at
 *    XML_DEPTH_MAX, a wanted value at XML_VALUE_MAX bytes, records at
 *    ACTIVITY_REC_MAX (activity_push());
 *  - a value that is present but not a number or time in range refuses the
 *    file with its line; an empty one is absent.
 * Numbers are parsed with strtod in the "C" locale that our programs keep.
 * Never: log, fetch anything, keep state between calls.
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Debian builds expat with XML_DTD, but its installed header declares the
 * billion-laughs setters only under that macro. */
#ifndef XML_DTD
#define XML_DTD
#endif
#include <expat.h>

#include "stride/activity.h"

#define XML_DEPTH_MAX	32		/* open elements */
#define XML_VALUE_MAX	96		/* bytes of a wanted element's text */
#define XML_CHUNK	(1u << 20)	/* bytes handed to expat at once */
#define XML_AMPLIFICATION	4.0f	/* expat's default is 100 */
#define XML_AMPLIFY_AFTER	(64u << 10)	/* bytes; default 8 MiB */

/* Element names we look at (local names). */
enum xml_el {
	EL_OTHER = 0,
	/* TCX */
	EL_TCD, EL_ACTIVITY, EL_LAP, EL_TOTALTIME, EL_DISTANCEMETERS,
	EL_CADENCE_TCX, EL_LX, EL_AVGRUNCAD, EL_TRACKPOINT, EL_TIME_TCX,
	EL_POSITION, EL_LATDEG, EL_LONDEG, EL_ALTMETERS, EL_HRBPM, EL_VALUE,
	EL_TPX, EL_SPEED_TCX, EL_RUNCAD,
	/* GPX */
	EL_GPX, EL_TRK, EL_TYPE, EL_TRKSEG, EL_TRKPT, EL_ELE, EL_TIME, EL_EXTENSIONS,
	EL_HR, EL_CAD, EL_CADENCE, EL_SPEED, EL_DISTANCE,
	EL_COUNT
};

struct xml_name {
	const char	*name;
	enum xml_el	 el;
};
static const struct xml_name xml_tcx_names[] = {
	{ "TrainingCenterDatabase", EL_TCD }, { "Activity", EL_ACTIVITY },
	{ "Lap", EL_LAP }, { "TotalTimeSeconds", EL_TOTALTIME },
	{ "DistanceMeters", EL_DISTANCEMETERS }, { "Cadence", EL_CADENCE_TCX },
	{ "LX", EL_LX }, { "AvgRunCadence", EL_AVGRUNCAD },
	{ "Trackpoint", EL_TRACKPOINT }, { "Time", EL_TIME_TCX },
	{ "Position", EL_POSITION }, { "LatitudeDegrees", EL_LATDEG },
	{ "LongitudeDegrees", EL_LONDEG }, { "AltitudeMeters", EL_ALTMETERS },
	{ "HeartRateBpm", EL_HRBPM }, { "Value", EL_VALUE }, { "TPX", EL_TPX },
	{ "Speed", EL_SPEED_TCX }, { "RunCadence", EL_RUNCAD },
	{ NULL, EL_OTHER }
};
static const struct xml_name xml_gpx_names[] = {
	{ "gpx", EL_GPX }, { "trk", EL_TRK }, { "type", EL_TYPE },
	{ "trkseg", EL_TRKSEG }, { "trkpt", EL_TRKPT }, { "ele", EL_ELE },
	{ "time", EL_TIME },
	{ "extensions", EL_EXTENSIONS }, { "hr", EL_HR }, { "cad", EL_CAD },
	{ "cadence", EL_CADENCE }, { "speed", EL_SPEED },
	{ "distance", EL_DISTANCE },
	{ NULL, EL_OTHER }
};

/* What the text being captured is. */
enum xml_val {
	V_NONE = 0, V_TIME, V_LAT, V_LON, V_ALT, V_DIST, V_HR, V_CAD, V_RUNCAD,
	V_SPD, V_LAP_TIMER, V_LAP_DIST, V_LAP_CAD, V_LAP_RUNCAD, V_TYPE
};

struct xml {
	XML_Parser		 p;
	enum activity_format	 fmt;		/* once the root is seen */
	struct activity		*a;
	struct activity_err	*err;
	int			 failed;
	unsigned		 depth;
	enum xml_el		 stack[XML_DEPTH_MAX];
	unsigned		 skip;		/* >0: inside a skipped subtree
						   opened at this depth */
	unsigned		 activities;	/* TCX Activity elements */
	/* The trackpoint being read. */
	int			 in_tp;
	unsigned		 tp_depth;
	int			 tp_time;	/* its time was read */
	int			 tp_lat, tp_lon;	/* its position was */
	struct activity_rec	 rec;
	double			 runcad;	/* TCX RunCadence wins */
	int			 has_runcad;
	/* The lap being read (TCX). */
	double			 lap_timer, lap_dist, lap_cad, lap_runcad;
	int			 has_lap_timer, has_lap_dist, has_lap_cad;
	int			 has_lap_runcad;
	double			 cad_sum, cad_weight;
	/* The text being captured. */
	enum xml_val		 val;
	unsigned		 val_depth;
	size_t			 vlen;
	char			 vbuf[XML_VALUE_MAX + 1];
};

static void
xml_fail(struct xml *x, const char *why)
{
	if (x->failed)
		return;
	x->failed = 1;
	x->err->why = why;
	x->err->off = (int64_t)XML_GetCurrentByteIndex(x->p);
	x->err->line = (uint64_t)XML_GetCurrentLineNumber(x->p);
	x->err->errnum = 0;
	XML_StopParser(x->p, XML_FALSE);
}

static const char *
xml_local(const char *name)
{
	const char *colon = strrchr(name, ':');

	return colon != NULL ? colon + 1 : name;
}

static enum xml_el
xml_lookup(const struct xml_name *tab, const char *local)
{
	for (; tab->name != NULL; tab++)
		if (strcmp(tab->name, local) == 0)
			return tab->el;
	return EL_OTHER;
}

/* The element n levels up from the one being opened or closed (0: it). */
static enum xml_el
xml_up(const struct xml *x, unsigned n)
{
	return n < x->depth ? x->stack[x->depth - 1 - n] : EL_OTHER;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
xml_days(int64_t y, unsigned m, unsigned d)
{
	int64_t		era;
	unsigned	yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
xml_digits(const char **s, unsigned n, unsigned *out)
{
	unsigned v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return -1;
		v = v * 10 + (unsigned)((*s)[i] - '0');
	}
	*s += n;
	*out = v;
	return 0;
}

/*
 * ISO 8601 / XML Schema dateTime: YYYY-MM-DDThh:mm:ss[.frac][Z|+hh:mm|
 * -hh:mm]; no zone means UTC (the exporters we know always write Z).
 * Fractions below a millisecond are dropped.
 */
static int
xml_time(const char *s, int64_t *ms)
{
	static const unsigned mdays[12] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	unsigned	y, mo, d, h, mi, sec, zh = 0, zm = 0, frac = 0, scale;
	int		zsign = 0;

	if (xml_digits(&s, 4, &y) || *s++ != '-' || xml_digits(&s, 2, &mo) ||
	    *s++ != '-' || xml_digits(&s, 2, &d) || (*s != 'T' && *s != 't'))
		return -1;
	s++;
	if (xml_digits(&s, 2, &h) || *s++ != ':' || xml_digits(&s, 2, &mi) ||
	    *s++ != ':' || xml_digits(&s, 2, &sec))
		return -1;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return -1;
		for (scale = 100; isdigit((unsigned char)*s); s++, scale /= 10)
			frac += (unsigned)(*s - '0') * scale;
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		zsign = *s++ == '-' ? -1 : 1;
		if (xml_digits(&s, 2, &zh))
			return -1;
		if (*s == ':')
			s++;
		if (xml_digits(&s, 2, &zm) || zh > 23 || zm > 59)
			return -1;
	}
	if (*s != '\0')
		return -1;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0))) || h > 23 || mi > 59 || sec > 60)
		return -1;
	*ms = ((xml_days(y, mo, d) * 24 + h) * 60 + mi) * 60 + sec;
	*ms -= (int64_t)zsign * ((int64_t)zh * 3600 + zm * 60);
	*ms = *ms * 1000 + frac;
	return 0;
}

/* The captured text as a number in [lo, hi]; 1 if empty (absent), 0 if
 * good, -1 if bad. */
static int
xml_num(const char *s, double lo, double hi, double *out)
{
	char *end;

	if (*s == '\0')
		return 1;
	*out = strtod(s, &end);
	if (end == s || *end != '\0' || !isfinite(*out) || *out < lo ||
	    *out > hi)
		return -1;
	return 0;
}

/* Strip the captured text's surrounding whitespace in place. */
static char *
xml_trim(struct xml *x)
{
	char *s = x->vbuf, *e = x->vbuf + x->vlen;

	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	*e = '\0';
	return s;
}

static enum activity_sport
xml_sport(const char *s)
{
	/* TCX: Running|Biking|Other; GPX trk/type is free text. */
	if (strstr(s, "run") != NULL || strstr(s, "Run") != NULL)
		return ACTIVITY_SPORT_RUNNING;
	if (strstr(s, "walk") != NULL || strstr(s, "Walk") != NULL)
		return ACTIVITY_SPORT_WALKING;
	if (strstr(s, "hik") != NULL || strstr(s, "Hik") != NULL)
		return ACTIVITY_SPORT_HIKING;
	if (*s == '\0' || strcmp(s, "Other") == 0)
		return ACTIVITY_SPORT_UNKNOWN;
	return ACTIVITY_SPORT_OTHER;
}

/* The captured value is complete: check it and put it in its place. */
static void
xml_value(struct xml *x)
{
	struct activity_rec	*r = &x->rec;
	const char		*s = xml_trim(x);
	double			 v = 0;
	int64_t			 ms;
	int			 rc = 0;

	switch (x->val) {
	case V_TIME:
		if (*s == '\0')
			break;
		if (xml_time(s, &ms) != 0) {
			xml_fail(x, "bad time");
			return;
		}
		r->t_ms = ms;
		x->tp_time = 1;
		break;
	case V_LAT:
		if ((rc = xml_num(s, -90, 90, &v)) == 0) {
			r->lat_deg = v;
			x->tp_lat = 1;
		}
		break;
	case V_LON:
		if ((rc = xml_num(s, -180, 180, &v)) == 0) {
			r->lon_deg = v;
			x->tp_lon = 1;
		}
		break;
	case V_ALT:
		if ((rc = xml_num(s, -1e5, 1e5, &v)) == 0) {
			r->alt_m = (float)v;
			r->has |= ACTIVITY_HAS_ALT;
		}
		break;
	case V_DIST:
		if ((rc = xml_num(s, 0, 1e9, &v)) == 0) {
			r->dist_m = v;
			r->has |= ACTIVITY_HAS_DIST;
		}
		break;
	case V_HR:
		if ((rc = xml_num(s, 0, 255, &v)) == 0) {
			r->hr_bpm = (uint8_t)v;
			r->has |= ACTIVITY_HAS_HR;
		}
		break;
	case V_CAD:
		if ((rc = xml_num(s, 0, 255, &v)) == 0) {
			r->cad_spm = (float)(2 * v);	/* per leg */
			r->has |= ACTIVITY_HAS_CAD;
		}
		break;
	case V_RUNCAD:
		if ((rc = xml_num(s, 0, 255, &v)) == 0) {
			x->runcad = 2 * v;		/* per leg */
			x->has_runcad = 1;
		}
		break;
	case V_SPD:
		if ((rc = xml_num(s, 0, 1e3, &v)) == 0) {
			r->spd_mps = (float)v;
			r->has |= ACTIVITY_HAS_SPD;
		}
		break;
	case V_LAP_TIMER:
		if ((rc = xml_num(s, 0, 1e7, &v)) == 0)
			x->lap_timer = v, x->has_lap_timer = 1;
		break;
	case V_LAP_DIST:
		if ((rc = xml_num(s, 0, 1e9, &v)) == 0)
			x->lap_dist = v, x->has_lap_dist = 1;
		break;
	case V_LAP_CAD:
		if ((rc = xml_num(s, 0, 255, &v)) == 0)
			x->lap_cad = 2 * v, x->has_lap_cad = 1;
		break;
	case V_LAP_RUNCAD:
		if ((rc = xml_num(s, 0, 255, &v)) == 0)
			x->lap_runcad = 2 * v, x->has_lap_runcad = 1;
		break;
	case V_TYPE:
		if (x->a->sport == ACTIVITY_SPORT_UNKNOWN)
			x->a->sport = xml_sport(s);
		break;
	case V_NONE:
		break;
	}
	if (rc < 0)
		xml_fail(x, "bad number");
}

static void
xml_tp_start(struct xml *x)
{
	memset(&x->rec, 0, sizeof(x->rec));
	x->in_tp = 1;
	x->tp_depth = x->depth;
	x->tp_time = x->tp_lat = x->tp_lon = 0;
	x->has_runcad = 0;
}

static void
xml_tp_end(struct xml *x)
{
	x->in_tp = 0;
	if (x->tp_lat && x->tp_lon)
		x->rec.has |= ACTIVITY_HAS_POS;
	else
		x->rec.lat_deg = x->rec.lon_deg = 0;
	if (x->has_runcad) {
		x->rec.cad_spm = (float)x->runcad;
		x->rec.has |= ACTIVITY_HAS_CAD;
	}
	if (!x->tp_time) {
		x->a->dropped++;
		return;
	}
	if (activity_push(x->a, &x->rec, x->err) != 0) {
		const char *why = x->err->why;

		xml_fail(x, why);
	}
}

static void
xml_lap_reset(struct xml *x)
{
	x->has_lap_timer = x->has_lap_dist = 0;
	x->has_lap_cad = x->has_lap_runcad = 0;
}

static void
xml_lap_end(struct xml *x)
{
	struct activity_totals *t = &x->a->file;

	if (x->has_lap_timer) {
		t->timer_s += x->lap_timer;
		t->has |= ACTIVITY_TOT_TIMER;
	}
	if (x->has_lap_dist) {
		t->dist_m += x->lap_dist;
		t->has |= ACTIVITY_TOT_DIST;
	}
	if (x->has_lap_runcad || x->has_lap_cad) {
		double w = x->has_lap_timer && x->lap_timer > 0 ?
		    x->lap_timer : 1;

		x->cad_sum += (x->has_lap_runcad ? x->lap_runcad :
		    x->lap_cad) * w;
		x->cad_weight += w;
		t->avg_cad_spm = x->cad_sum / x->cad_weight;
		t->has |= ACTIVITY_TOT_CAD;
	}
	xml_lap_reset(x);
}

/* Which value, if any, the element el just opened holds (TCX). */
static enum xml_val
xml_tcx_val(const struct xml *x, enum xml_el el)
{
	enum xml_el up1 = xml_up(x, 1);

	if (x->in_tp) {
		switch (el) {
		case EL_TIME_TCX:
			return up1 == EL_TRACKPOINT ? V_TIME : V_NONE;
		case EL_LATDEG:
			return up1 == EL_POSITION ? V_LAT : V_NONE;
		case EL_LONDEG:
			return up1 == EL_POSITION ? V_LON : V_NONE;
		case EL_ALTMETERS:
			return up1 == EL_TRACKPOINT ? V_ALT : V_NONE;
		case EL_DISTANCEMETERS:
			return up1 == EL_TRACKPOINT ? V_DIST : V_NONE;
		case EL_VALUE:
			return up1 == EL_HRBPM ? V_HR : V_NONE;
		case EL_CADENCE_TCX:
			return up1 == EL_TRACKPOINT ? V_CAD : V_NONE;
		case EL_SPEED_TCX:
			return up1 == EL_TPX ? V_SPD : V_NONE;
		case EL_RUNCAD:
			return up1 == EL_TPX ? V_RUNCAD : V_NONE;
		default:
			return V_NONE;
		}
	}
	switch (el) {
	case EL_TOTALTIME:
		return up1 == EL_LAP ? V_LAP_TIMER : V_NONE;
	case EL_DISTANCEMETERS:
		return up1 == EL_LAP ? V_LAP_DIST : V_NONE;
	case EL_CADENCE_TCX:
		return up1 == EL_LAP ? V_LAP_CAD : V_NONE;
	case EL_AVGRUNCAD:
		return up1 == EL_LX && xml_up(x, 3) == EL_LAP ? V_LAP_RUNCAD :
		    V_NONE;
	default:
		return V_NONE;
	}
}

/* Which value, if any, the element el just opened holds (GPX). */
static enum xml_val
xml_gpx_val(const struct xml *x, enum xml_el el)
{
	enum xml_el	up1 = xml_up(x, 1);
	unsigned	i;
	int		in_ext = 0;

	if (!x->in_tp)
		return el == EL_TYPE && up1 == EL_TRK ? V_TYPE : V_NONE;
	if (up1 == EL_TRKPT) {
		if (el == EL_ELE)
			return V_ALT;
		if (el == EL_TIME)
			return V_TIME;
		return V_NONE;
	}
	for (i = x->tp_depth; i + 1 < x->depth; i++)
		if (x->stack[i] == EL_EXTENSIONS)
			in_ext = 1;
	if (!in_ext)
		return V_NONE;
	switch (el) {
	case EL_HR:
		return V_HR;
	case EL_CAD:
	case EL_CADENCE:
		return V_CAD;
	case EL_SPEED:
		return V_SPD;
	case EL_DISTANCE:
		return V_DIST;
	default:
		return V_NONE;
	}
}

static void
xml_gpx_trkpt(struct xml *x, const char **atts)
{
	double	v;
	int	lat = 0, lon = 0;

	xml_tp_start(x);
	for (; atts[0] != NULL && atts[1] != NULL; atts += 2) {
		const char *name = xml_local(atts[0]);

		if (strcmp(name, "lat") == 0 &&
		    xml_num(atts[1], -90, 90, &v) == 0) {
			x->rec.lat_deg = v;
			lat = 1;
		} else if (strcmp(name, "lon") == 0 &&
		    xml_num(atts[1], -180, 180, &v) == 0) {
			x->rec.lon_deg = v;
			lon = 1;
		} else if (strcmp(name, "lat") == 0 ||
		    strcmp(name, "lon") == 0) {
			xml_fail(x, "bad trkpt coordinate");
			return;
		}
	}
	x->tp_lat = lat;
	x->tp_lon = lon;
}

static void
xml_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xml	*x = ud;
	const char	*local = xml_local(name);
	enum xml_el	 el;

	if (x->failed)
		return;
	if (x->depth == XML_DEPTH_MAX) {
		xml_fail(x, "XML nested too deep");
		return;
	}
	if (x->val != V_NONE) {
		x->val = V_NONE;	/* a value with markup inside: absent */
		x->vlen = 0;
	}
	if (x->depth == 0) {
		/* The root decides the format, or must match it. */
		el = strcmp(local, "TrainingCenterDatabase") == 0 ?
		    EL_TCD : strcmp(local, "gpx") == 0 ? EL_GPX : EL_OTHER;
		if (el == EL_OTHER ||
		    (x->fmt == ACTIVITY_FMT_TCX && el != EL_TCD) ||
		    (x->fmt == ACTIVITY_FMT_GPX && el != EL_GPX)) {
			xml_fail(x, x->fmt == ACTIVITY_FMT_GPX ?
			    "root element is not gpx" : x->fmt ==
			    ACTIVITY_FMT_TCX ? "root element is not "
			    "TrainingCenterDatabase" : "not a TCX or GPX "
			    "document");
			return;
		}
		x->fmt = el == EL_TCD ? ACTIVITY_FMT_TCX : ACTIVITY_FMT_GPX;
		x->a->fmt = x->fmt;
	} else
		el = xml_lookup(x->fmt == ACTIVITY_FMT_TCX ? xml_tcx_names :
		    xml_gpx_names, local);
	x->stack[x->depth++] = el;
	if (x->skip > 0)
		return;

	if (x->fmt == ACTIVITY_FMT_TCX) {
		if (el == EL_ACTIVITY) {
			if (++x->activities > 1) {
				x->skip = x->depth;	/* first one only */
				return;
			}
			for (; atts[0] != NULL && atts[1] != NULL; atts += 2)
				if (strcmp(xml_local(atts[0]), "Sport") == 0)
					x->a->sport = xml_sport(atts[1]);
		} else if (el == EL_LAP && !x->in_tp)
			xml_lap_reset(x);
		else if (el == EL_TRACKPOINT && !x->in_tp)
			xml_tp_start(x);
		else
			x->val = xml_tcx_val(x, el);
	} else {
		if (el == EL_TRKPT && !x->in_tp && xml_up(x, 1) == EL_TRKSEG)
			xml_gpx_trkpt(x, atts);		/* trk/trkseg/trkpt */
		else
			x->val = xml_gpx_val(x, el);
	}
	if (x->val != V_NONE) {
		x->val_depth = x->depth;
		x->vlen = 0;
	}
}

static void
xml_end(void *ud, const XML_Char *name)
{
	struct xml	*x = ud;
	enum xml_el	 el;

	(void)name;
	if (x->failed || x->depth == 0)
		return;
	el = x->stack[x->depth - 1];
	if (x->skip > 0) {
		if (x->depth == x->skip)
			x->skip = 0;
		x->depth--;
		return;
	}
	if (x->val != V_NONE && x->val_depth == x->depth) {
		x->vbuf[x->vlen] = '\0';
		xml_value(x);
		x->val = V_NONE;
		x->vlen = 0;
	}
	if (x->in_tp && x->depth == x->tp_depth)
		xml_tp_end(x);
	else if (el == EL_LAP && x->fmt == ACTIVITY_FMT_TCX)
		xml_lap_end(x);
	x->depth--;
}

static void
xml_text(void *ud, const XML_Char *s, int len)
{
	struct xml *x = ud;

	if (x->failed || x->val == V_NONE || x->depth != x->val_depth ||
	    len <= 0)
		return;
	if ((size_t)len > XML_VALUE_MAX - x->vlen) {
		xml_fail(x, "value too long");
		return;
	}
	memcpy(x->vbuf + x->vlen, s, (size_t)len);
	x->vlen += (size_t)len;
}

static void
xml_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	(void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
	xml_fail(ud, "DOCTYPE not allowed");
}

static void
xml_entity(void *ud, const XML_Char *name, int is_param,
    const XML_Char *value, int value_len, const XML_Char *base,
    const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
	(void)name, (void)is_param, (void)value, (void)value_len, (void)base;
	(void)sysid, (void)pubid, (void)notation;
	xml_fail(ud, "entity declarations not allowed");
}

int
xml_decode(const void *buf, size_t len, enum activity_format fmt,
    struct activity *a, struct activity_err *err)
{
	struct xml	*x;
	const char	*p = buf;
	size_t		 off = 0, n;
	int		 rc = -1, last;

	memset(err, 0, sizeof(*err));
	if (len > ACTIVITY_FILE_MAX) {
		err->why = "file too large";
		err->off = ACTIVITY_FILE_MAX;
		return -1;
	}
	if (fmt != ACTIVITY_FMT_UNKNOWN && fmt != ACTIVITY_FMT_TCX &&
	    fmt != ACTIVITY_FMT_GPX) {
		err->why = "not an XML format";
		err->off = -1;
		return -1;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL ||
	    (x->p = XML_ParserCreate(NULL)) == NULL) {
		free(x);
		err->why = "out of memory";
		err->off = -1;
		return -1;
	}
	x->fmt = fmt;
	x->a = a;
	x->err = err;
	a->fmt = fmt;
	XML_SetUserData(x->p, x);
	XML_SetElementHandler(x->p, xml_start, xml_end);
	XML_SetCharacterDataHandler(x->p, xml_text);
	XML_SetStartDoctypeDeclHandler(x->p, xml_doctype);
	XML_SetEntityDeclHandler(x->p, xml_entity);
	XML_SetParamEntityParsing(x->p, XML_PARAM_ENTITY_PARSING_NEVER);
#if XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 4)
	XML_SetBillionLaughsAttackProtectionMaximumAmplification(x->p,
	    XML_AMPLIFICATION);
	XML_SetBillionLaughsAttackProtectionActivationThreshold(x->p,
	    XML_AMPLIFY_AFTER);
#endif
	do {
		n = len - off < XML_CHUNK ? len - off : XML_CHUNK;
		last = off + n == len;
		if (XML_Parse(x->p, p + off, (int)n, last) != XML_STATUS_OK) {
			if (!x->failed) {
				/* expat's reasons are static strings too. */
				x->failed = 1;
				err->why = XML_ErrorString(
				    XML_GetErrorCode(x->p));
				if (err->why == NULL)
					err->why = "XML error";
				err->off = (int64_t)XML_GetCurrentByteIndex(
				    x->p);
				err->line = (uint64_t)XML_GetCurrentLineNumber(
				    x->p);
			}
			goto fail;
		}
		off += n;
	} while (!last);
	if (x->fmt == ACTIVITY_FMT_UNKNOWN) {
		err->why = "not a TCX or GPX document";
		err->off = 0;
		goto fail;
	}
	rc = 0;
 fail:
	XML_ParserFree(x->p);
	free(x);
	return rc;
}
