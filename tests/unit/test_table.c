/*
 * test_table.c - the runner and device index: get, put, replace, growth.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "table.h"

static void
count_cb(void *arg, void *value)
{
	(void)value;
	(*(int *)arg)++;
}

int
main(void)
{
	struct table	*t = table_new();
	static int	 values[5000];
	char		 key[40];
	int		 i, ok = 1, walked = 0;

	CHECK(t != NULL);
	CHECK(table_get(t, "absent") == NULL);
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "runner-%d/device-%d", i / 2, i);
		CHECK(table_put(t, key, &values[i]) == 0);
	}
	CHECK(table_count(t) == 5000);
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "runner-%d/device-%d", i / 2, i);
		if (table_get(t, key) != &values[i])
			ok = 0;
	}
	CHECK(ok);
	/* Replacing keeps the count and changes the value. */
	CHECK(table_put(t, "runner-0/device-0", &values[9]) == 0);
	CHECK(table_count(t) == 5000);
	CHECK(table_get(t, "runner-0/device-0") == &values[9]);
	/* Keys are copied: changing the caller's buffer changes nothing. */
	strcpy(key, "k");
	CHECK(table_put(t, key, &values[1]) == 0);
	key[0] = 'x';
	CHECK(table_get(t, "k") == &values[1]);
	CHECK(table_get(t, "x") == NULL);
	table_walk(t, count_cb, &walked);
	CHECK(walked == 5001);
	table_free(t);
	table_free(NULL);
	return check_done("test_table");
}
