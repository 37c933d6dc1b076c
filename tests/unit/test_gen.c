/*
 * test_gen.c - the synthetic run generator: deterministic for a seed,
 * distance the integral of speed, a foot pod and a watch describing the
 * same run, hills that climb and descend, and every sample inside the
 * protocol's ranges (checked by the real codec too) for many seeds.
 */
#include <string.h>

#include "check.h"
#include "gen.h"
#include "stride/codec.h"

#define START_MS	1700000000000LL

static struct gen_params
params(enum stride_role role, uint64_t seed)
{
	struct gen_params p = GEN_PARAMS_DEFAULT;

	p.start_ms = START_MS;
	p.role = role;
	p.seed = seed;
	return p;
}

static int
same_sample(const struct stride_sample *a, const struct stride_sample *b)
{
	return a->t_ms == b->t_ms && a->has == b->has &&
	    a->dist_m == b->dist_m && a->cad_spm == b->cad_spm &&
	    a->spd_mps == b->spd_mps && a->grade_pct == b->grade_pct &&
	    a->alt_m == b->alt_m;
}

static void
test_determinism(void)
{
	struct gen_params	p = params(STRIDE_ROLE_WATCH, 42);
	struct gen		a, b, c;
	struct stride_sample	sa, sb, sc;
	int			same = 1, differs = 0, n = 0;
	const char		*why;

	CHECK(gen_init(&a, &p, &why) == 0);
	CHECK(gen_init(&b, &p, &why) == 0);
	p.seed = 43;
	CHECK(gen_init(&c, &p, &why) == 0);
	while (gen_next(&a, &sa) == 1) {
		CHECK(gen_next(&b, &sb) == 1);
		CHECK(gen_next(&c, &sc) == 1);
		same &= same_sample(&sa, &sb);
		differs += !same_sample(&sa, &sc);
		n++;
	}
	CHECK(same);
	CHECK(n == 1800);
	CHECK(differs > n / 2);		/* another seed, another run */
	CHECK(gen_next(&b, &sb) == 0);	/* both end together */
	CHECK(gen_next(&a, &sa) == 0);	/* and stay ended */
}

static void
test_distance_is_speed_integral(void)
{
	static const enum stride_role roles[] = { STRIDE_ROLE_FOOTPOD,
	    STRIDE_ROLE_WATCH };
	struct gen_params	p;
	struct gen		g;
	struct stride_sample	s;
	double			sum, worst;
	const char		*why;
	size_t			r;

	for (r = 0; r < 2; r++) {
		p = params(roles[r], 7);
		p.hills = 0;
		p.duration_s = 3600;
		p.pace_s_per_km = 300.0;
		CHECK(gen_init(&g, &p, &why) == 0);
		sum = 0;
		worst = 0;
		while (gen_next(&g, &s) == 1) {
			/* dist at t is what the speed so far covered. */
			if (fabs(s.dist_m - sum) > worst)
				worst = fabs(s.dist_m - sum);
			sum += s.spd_mps;
		}
		CHECK(worst < 0.01);
		/* An hour at 5:00/km on the flat is about 12 km (the
		 * warm-up and the pod's calibration move it a little). */
		CHECK(sum > 11400 && sum < 12600);
	}
}

static void
test_roles_describe_the_same_run(void)
{
	struct gen_params	pp = params(STRIDE_ROLE_FOOTPOD, 99);
	struct gen_params	pw = params(STRIDE_ROLE_WATCH, 99);
	struct gen		pod, watch;
	struct stride_sample	sp, sw;
	double			dspd = 0, dcad = 0, other = 0, pod_d = 0;
	double			watch_d = 0;
	const char		*why;
	int			n = 0, times = 1, course = 1, fields = 1;

	pp.hills = pw.hills = 4;
	CHECK(gen_init(&pod, &pp, &why) == 0);
	CHECK(gen_init(&watch, &pw, &why) == 0);
	while (gen_next(&pod, &sp) == 1) {
		CHECK(gen_next(&watch, &sw) == 1);
		times &= sp.t_ms == sw.t_ms;
		/* One truth underneath, to the last bit. */
		course &= pod.course_m == watch.course_m;
		dspd += fabs(sp.spd_mps / GEN_FOOTPOD_CAL - sw.spd_mps);
		dcad += fabs(sp.cad_spm - sw.cad_spm);
		pod_d = sp.dist_m + sp.spd_mps;
		watch_d = sw.dist_m + sw.spd_mps;
		/* Each role carries its own fields. */
		fields &= sp.has == (STRIDE_HAS_CAD | STRIDE_HAS_SPD |
		    STRIDE_HAS_DIST) && sw.has == (STRIDE_HAS_CAD |
		    STRIDE_HAS_SPD | STRIDE_HAS_DIST | STRIDE_HAS_ALT |
		    STRIDE_HAS_GRADE);
		n++;
	}
	CHECK(times);
	CHECK(course);
	CHECK(fields);
	/* Same speeds and steps, up to each sensor's noise... */
	CHECK(dspd / n < 0.12);
	CHECK(dcad / n < 2.5);
	/* ...and the pod's calibration error shows in the distance. */
	CHECK_NEAR(pod_d / watch_d, GEN_FOOTPOD_CAL, 0.01);

	/* Another seed is another run, further from the pod's. */
	pw.seed = 100;
	CHECK(gen_init(&watch, &pw, &why) == 0);
	CHECK(gen_init(&pod, &pp, &why) == 0);
	course = 1;
	while (gen_next(&pod, &sp) == 1 && gen_next(&watch, &sw) == 1) {
		course &= pod.course_m == watch.course_m;
		other += fabs(sp.spd_mps / GEN_FOOTPOD_CAL - sw.spd_mps);
	}
	CHECK(!course);
	CHECK(other > 1.5 * dspd);
}

static void
test_hills(void)
{
	struct gen_params	p = params(STRIDE_ROLE_WATCH, 5);
	struct gen		g;
	struct stride_sample	s;
	double			gmax = -100, gmin = 100, d, alt0;
	const char		*why;
	int			climbing = 0, descending = 0;

	p.hills = 3;
	CHECK(gen_init(&g, &p, &why) == 0);
	alt0 = gen_alt_at(&g, 0);
	while (gen_next(&g, &s) == 1) {
		if (s.grade_pct > gmax)
			gmax = s.grade_pct;
		if (s.grade_pct < gmin)
			gmin = s.grade_pct;
		climbing += s.grade_pct > 2;
		descending += s.grade_pct < -2;
	}
	CHECK(gmax > 2.5 && gmin < -2.5);
	CHECK(climbing > 30 && descending > 30);	/* sections, not spikes */

	/* Altitude is the integral of grade along the course, and each
	 * hill gives back what it climbed. */
	for (d = 0; d < 12000; d += 5) {
		double rise = gen_alt_at(&g, d + 5) - gen_alt_at(&g, d);
		double mid = gen_grade_at(&g, d + 2.5) / 100.0 * 5;

		if (fabs(rise - mid) > 0.002)
			break;
	}
	CHECK(d >= 12000);
	CHECK_NEAR(gen_alt_at(&g, 1e6), alt0, 1e-9);

	/* No hills, no grade beyond the watch's noise. */
	p.hills = 0;
	CHECK(gen_init(&g, &p, &why) == 0);
	gmax = 0;
	while (gen_next(&g, &s) == 1)
		if (fabs(s.grade_pct) > gmax)
			gmax = fabs(s.grade_pct);
	CHECK(gmax < 1.5);
}

static void
test_cadence_follows_speed(void)
{
	struct gen_params	p = params(STRIDE_ROLE_FOOTPOD, 11);
	struct gen		g;
	struct stride_sample	s;
	double			sv = 0, sc = 0, svv = 0, svc = 0, n = 0, cov;
	const char		*why;

	p.hills = 0;
	p.duration_s = 3600;
	CHECK(gen_init(&g, &p, &why) == 0);
	while (gen_next(&g, &s) == 1) {
		sv += s.spd_mps;
		sc += s.cad_spm;
		svv += (double)s.spd_mps * s.spd_mps;
		svc += (double)s.spd_mps * s.cad_spm;
		n++;
	}
	cov = svc / n - sv / n * sc / n;
	/* Slope of cadence on speed: the model's 7 spm per m/s, blurred
	 * by noise. */
	CHECK(cov > 0);
	CHECK_NEAR(cov / (svv / n - sv / n * sv / n), 7.0 / GEN_FOOTPOD_CAL,
	    2.5);
	CHECK_NEAR(sc / n, p.cadence_spm, 3);
}

/* Every sample of every role, for many seeds and the extreme
 * parameters, is inside protocol.h's ranges and goes through the codec. */
static void
test_ranges(void)
{
	static const struct {
		uint32_t	duration_s;
		double		pace, cad;
		uint32_t	hills;
	} shapes[] = {
		{ 600, 330, 170, 2 },
		{ 1200, GEN_PACE_MIN_S_PER_KM, GEN_CAD_MAX_SPM, GEN_HILLS_MAX },
		{ 1200, GEN_PACE_MAX_S_PER_KM, GEN_CAD_MIN_SPM, GEN_HILLS_MAX },
		{ 30, 300, 180, 5 },
		{ 1, 300, 180, 1 },
	};
	struct gen_params	p;
	struct gen		g;
	struct stride_sample	s;
	struct stride_msg	m, back;
	char			buf[STRIDE_PAYLOAD_MAX + 1];
	const char		*why;
	uint64_t		seed;
	int64_t			prev_t;
	size_t			k;
	int			role, ok = 1, codec_ok = 1, samples = 0;

	for (seed = 0; seed < 60; seed++) {
		for (k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
			for (role = STRIDE_ROLE_FOOTPOD;
			    role <= STRIDE_ROLE_WATCH; role++) {
				p = params((enum stride_role)role,
				    seed * 2654435761u);
				p.duration_s = shapes[k].duration_s;
				p.pace_s_per_km = shapes[k].pace;
				p.cadence_spm = shapes[k].cad;
				p.hills = shapes[k].hills;
				if (gen_init(&g, &p, &why) != 0) {
					ok = 0;
					continue;
				}
				memset(&m, 0, sizeof(m));
				m.kind = STRIDE_KIND_TELEMETRY;
				m.epoch = 1;
				m.seq = 1;
				m.u.tel.role = (enum stride_role)role;
				prev_t = p.start_ms - 1000;
				while (gen_next(&g, &s) == 1) {
					samples++;
					ok &= s.t_ms == prev_t + 1000;
					prev_t = s.t_ms;
					ok &= s.cad_spm >= 0 &&
					    s.cad_spm <= STRIDE_CAD_MAX_SPM;
					ok &= s.spd_mps >= 0 &&
					    s.spd_mps <= STRIDE_SPD_MAX_MPS;
					ok &= fabs(s.grade_pct) <=
					    STRIDE_GRADE_MAX_PCT;
					ok &= s.alt_m >= STRIDE_ALT_MIN_M &&
					    s.alt_m <= STRIDE_ALT_MAX_M;
					ok &= s.dist_m >= 0 &&
					    s.dist_m <= STRIDE_DIST_MAX_M;
					m.u.tel.s[m.u.tel.n++] = s;
					if (m.u.tel.n < STRIDE_SAMPLES_MAX)
						continue;
					codec_ok &= codec_encode(&m, buf,
					    sizeof(buf)) > 0 &&
					    codec_decode(STRIDE_KIND_TELEMETRY,
					    buf, strlen(buf), &back, &why) == 0;
					m.u.tel.n = 0;
				}
			}
		}
	}
	CHECK(ok);
	CHECK(codec_ok);
	CHECK(samples == 60 * 2 * (600 + 1200 + 1200 + 30 + 1));

	/* The longest run stays inside too (one seed: it is long). */
	p = params(STRIDE_ROLE_WATCH, 3);
	p.duration_s = GEN_DURATION_MAX_S;
	p.pace_s_per_km = GEN_PACE_MIN_S_PER_KM;
	CHECK(gen_init(&g, &p, &why) == 0);
	while (gen_next(&g, &s) == 1)
		ok &= s.dist_m <= STRIDE_DIST_MAX_M &&
		    s.spd_mps <= STRIDE_SPD_MAX_MPS &&
		    s.t_ms <= STRIDE_T_MAX_MS;
	CHECK(ok);
}

static void
test_bad_params(void)
{
	static const struct {
		int		field;
		double		value;
	} t[] = {
		{ 0, 0 }, { 0, GEN_DURATION_MAX_S + 1 },
		{ 1, GEN_PACE_MIN_S_PER_KM - 1 }, { 1, GEN_PACE_MAX_S_PER_KM + 1 },
		{ 1, NAN },
		{ 2, GEN_CAD_MIN_SPM - 1 }, { 2, GEN_CAD_MAX_SPM + 1 },
		{ 3, GEN_HILLS_MAX + 1 },
		{ 4, STRIDE_ROLE_UNKNOWN },
		{ 5, 0 }, { 5, STRIDE_T_MAX_MS - 1000 },
	};
	struct gen_params	p;
	struct gen		g;
	const char		*why;
	size_t			i;

	p = params(STRIDE_ROLE_FOOTPOD, 1);
	CHECK(gen_init(&g, &p, &why) == 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		p = params(STRIDE_ROLE_FOOTPOD, 1);
		switch (t[i].field) {
		case 0: p.duration_s = (uint32_t)t[i].value; break;
		case 1: p.pace_s_per_km = t[i].value; break;
		case 2: p.cadence_spm = t[i].value; break;
		case 3: p.hills = (uint32_t)t[i].value; break;
		case 4: p.role = (enum stride_role)t[i].value; break;
		case 5: p.start_ms = (int64_t)t[i].value; break;
		}
		why = NULL;
		CHECK(gen_init(&g, &p, &why) == -1 && why != NULL);
	}
}

int
main(void)
{
	test_determinism();
	test_distance_is_speed_integral();
	test_roles_describe_the_same_run();
	test_hills();
	test_cadence_follows_speed();
	test_ranges();
	test_bad_params();
	return check_done("test_gen");
}
