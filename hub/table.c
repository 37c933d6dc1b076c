/*
 * table.c - see table.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

struct entry {
	struct entry	*next;
	void		*value;
	uint32_t	 hash;
	char		 key[];
};

struct table {
	struct entry	**buckets;
	size_t		  nbuckets;	/* a power of two */
	size_t		  count;
};

static uint32_t
table_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

struct table *
table_new(void)
{
	struct table *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->nbuckets = 64;
	if ((t->buckets = calloc(t->nbuckets, sizeof(*t->buckets))) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void
table_free(struct table *t)
{
	struct entry	*e, *next;
	size_t		 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nbuckets; i++) {
		for (e = t->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(t->buckets);
	free(t);
}

void *
table_get(const struct table *t, const char *key)
{
	uint32_t	 h = table_hash(key);
	struct entry	*e;

	for (e = t->buckets[h & (t->nbuckets - 1)]; e != NULL; e = e->next)
		if (e->hash == h && strcmp(e->key, key) == 0)
			return e->value;
	return NULL;
}

static int
table_grow(struct table *t)
{
	struct entry	**nb, *e, *next;
	size_t		  n = t->nbuckets * 2, i;

	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return -1;
	for (i = 0; i < t->nbuckets; i++) {
		for (e = t->buckets[i]; e != NULL; e = next) {
			next = e->next;
			e->next = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	}
	free(t->buckets);
	t->buckets = nb;
	t->nbuckets = n;
	return 0;
}

int
table_put(struct table *t, const char *key, void *value)
{
	uint32_t	 h = table_hash(key);
	struct entry	*e;
	size_t		 len = strlen(key);

	for (e = t->buckets[h & (t->nbuckets - 1)]; e != NULL; e = e->next) {
		if (e->hash == h && strcmp(e->key, key) == 0) {
			e->value = value;
			return 0;
		}
	}
	/* Growing is best effort: a full table still works, only slower. */
	if (t->count >= t->nbuckets)
		(void)table_grow(t);
	if ((e = malloc(sizeof(*e) + len + 1)) == NULL)
		return -1;
	memcpy(e->key, key, len + 1);
	e->hash = h;
	e->value = value;
	e->next = t->buckets[h & (t->nbuckets - 1)];
	t->buckets[h & (t->nbuckets - 1)] = e;
	t->count++;
	return 0;
}

size_t
table_count(const struct table *t)
{
	return t->count;
}

void
table_walk(const struct table *t, void (*fn)(void *, void *), void *arg)
{
	struct entry	*e;
	size_t		 i;

	for (i = 0; i < t->nbuckets; i++)
		for (e = t->buckets[i]; e != NULL; e = e->next)
			fn(arg, e->value);
}
