/*
 * table.h - a string-keyed hash table of pointers, for the hub's in-memory
 * index of runners and devices.
 *
 * Chained, power-of-two buckets, FNV-1a; grows at load 1. Keys are copied;
 * values are borrowed (the table never frees them: the caller walks and
 * frees). Not thread-safe: the worker thread alone owns its tables.
 */
#ifndef HUB_TABLE_H
#define HUB_TABLE_H

#include <stddef.h>

struct table;

struct table	*table_new(void);		/* NULL on failure */
void		 table_free(struct table *);	/* NULL is a no-op */

void	*table_get(const struct table *, const char *key);
/* Insert or replace. Returns 0, or -1 if memory ran out. */
int	 table_put(struct table *, const char *key, void *value);
size_t	 table_count(const struct table *);

/* Call fn for every value, in no particular order. The table must not be
 * changed during the walk. */
void	 table_walk(const struct table *, void (*fn)(void *arg, void *value),
	    void *arg);

#endif
