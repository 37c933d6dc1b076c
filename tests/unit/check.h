/*
 * check.h - the unit tests' tiny harness. Each test file is one program:
 * CHECK() records a failure with file:line and goes on; check_done() prints
 * "N passed, N failed" and returns the exit status for main().
 */
#ifndef TESTS_CHECK_H
#define TESTS_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_passed, check_failed;

#define CHECK(cond) do {						\
	if (cond)							\
		check_passed++;						\
	else {								\
		check_failed++;						\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
	}								\
} while (0)

/* |a - b| <= tol, printing both on failure. */
#define CHECK_NEAR(a, b, tol) do {					\
	double check_a_ = (a), check_b_ = (b);				\
	if (fabs(check_a_ - check_b_) <= (tol))				\
		check_passed++;						\
	else {								\
		check_failed++;						\
		fprintf(stderr, "%s:%d: check failed: %s = %g, "	\
		    "%s = %g (tolerance %g)\n", __FILE__, __LINE__,	\
		    #a, check_a_, #b, check_b_, (double)(tol));		\
	}								\
} while (0)

static inline int
check_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
	return check_failed == 0 ? 0 : 1;
}

#endif
