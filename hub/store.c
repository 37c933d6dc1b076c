/*
 * store.c - see store.h: the hub's SQLite store.
 *
 * The only includer of sqlite3.h. Owns the schema, its migrations and every
 * SQL statement; callers see structs, never SQL or SQLite types.
 *
 * Design notes:
 * 1. Schema versions are PRAGMA user_version. store_migrations[i] takes the
 *    schema from version i to i + 1; all pending ones run in one IMMEDIATE
 *    transaction that also sets user_version, so a crash leaves the old
 *    schema or the new one, and two hubs starting at once cannot both
 *    migrate. Forward only: a migration that has shipped is never edited,
 *    the next change is appended. A file newer than this code is refused.
 * 2. Every statement is prepared once at open (store_sql) and reset after
 *    each use, also on errors, so no statement keeps a read transaction
 *    open: in WAL mode a forgotten one would stop checkpoints and grow the
 *    -wal file without bound.
 * 3. The hot path is store_chunk_put: ~100k calls a second from the worker,
 *    batched ~1000 to a transaction by the caller. It is one pack into a
 *    stack buffer and one bind/step/reset of an INSERT OR IGNORE into a
 *    WITHOUT ROWID table keyed (session, device, epoch, seq), which devices
 *    fill in key order: appends to the right edge of one B-tree, no
 *    separate rowid index, and a redelivered message is a no-op by
 *    construction. Connections are opened NOMUTEX (one per thread).
 * 4. WAL, synchronous=NORMAL: a commit is durable once the WAL is synced at
 *    checkpoint; a power cut can lose the last commits but never corrupt
 *    the file. The hub acks only committed data, and a device re-sends
 *    what was not acked, so that window costs nothing.
 * 5. Everything read back is checked like network input (design: a copied
 *    or crafted file must not crash the admin commands): ids must be valid
 *    protocol ids, enums and dedupe counters in range, chunk blobs go
 *    through chunk_unpack. A bad row is logged and skipped in walks and in
 *    store_session_samples; a bad device row fails store_device_get.
 * 6. The file is created 0600 (it holds health reports); SQLite gives the
 *    -wal and -shm files the database file's permissions.
 *
 * 7. Plans (migration 2) are stored as the canonical JSON devices get, so
 *    what the hub published can be shown and re-sent byte for byte; this
 *    file never parses it (plan.c and the CLI decode it like a device).
 *    Each row also records what the rules had seen (closed sessions,
 *    newest report id), so the hub can tell cheaply whether a runner's
 *    plan is stale: at start-up, and when a report it did not receive
 *    itself (one typed at the CLI) appears.
 *
 * 8. History import (migration 3): `stridehub import` writes closed
 *    sessions itself, one short transaction per file, marked imported.
 *    The hub, which did not make them, learns of them from the imports
 *    table: one row per import run, written last, whose newest id its
 *    tick polls (one seek to the end of the rowid B-tree, as for
 *    symptoms). A run that dies before its row is written is caught by
 *    the hub's start-up catch-up (the runner's closed-session count has
 *    grown past what its plan has seen) or by the next import.
 *
 * 9. Device keys (migration 5, issue 4): the public X25519 key each
 *    device was enrolled with (`stridehub device add`) and its
 *    fingerprint, computed by the caller (this file does not include
 *    sodium.h). Rows are never deleted: revoking sets revoked_ms, and a
 *    new key for the device is a new row, so the table is also the
 *    device's key history. Read back like any row (design note 5): a
 *    key or fingerprint that is not 32 bytes is a bad row.
 *
 * 10. Deleting a runner (migration 6, issue 5): `stridehub runner delete`
 *    only records a request (deletions); the hub polls its newest id
 *    (one seek, as for symptoms and imports) and deletes the runner's
 *    rows in one transaction of its own (store_runner_delete), children
 *    first for the foreign keys, then marks the request done. Symptom
 *    and import ids are AUTOINCREMENT from migration 6 on: the hub's
 *    polls remember the newest id they saw, and a deleted newest row
 *    must not let a later one come back with an id at or below it.
 *
 * 11. Sealed plans and key rotations (migration 7, issue 4). Every plan
 *    the hub seals carries a per-device version that devices only accept
 *    growing; device_plans holds the last one per device, raised by one
 *    UPSERT (store_device_plan_next) in a transaction the caller commits
 *    before it publishes, so no two seals ever share a version, even
 *    across a crash. hub_rotations keeps every rotation announcement the
 *    CLI made (`stridehub key rotate`); the hub polls its newest id. Rows
 *    are read back like any other: an announcement must be 216 bytes that
 *    start with STRDROT1 and agree with the row's columns (this file does
 *    not verify signatures: devices do).
 *
 * Threading: a struct store is used by one thread at a time. Readers in
 * other processes (the admin commands) open their own handle (read-only,
 * or read-write for `report` and `profile`) and see the last committed
 * state while the hub writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "stride/log.h"
#include "chunk.h"
#include "store.h"

#define STORE_BUSY_TIMEOUT_MS	5000	/* wait this long for another writer */
#define STORE_WAL_LIMIT		(64 * 1024 * 1024) /* bytes kept after a checkpoint */
#define STORE_DEVICE_SAMPLES_MAX 200000	/* per device per session: ~55 h at 1 Hz */
#define STORE_SAMPLES_INITIAL	1024

/*
 * Migrations: store_migrations[i] upgrades user_version i to i + 1.
 * Append only; never edit one that has shipped.
 */
static const char *const store_migrations[] = {
	/* 1: the first schema. */
	"CREATE TABLE runners("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  created_ms INTEGER NOT NULL);"
	"CREATE TABLE devices("
	"  id INTEGER PRIMARY KEY,"
	"  runner_id INTEGER NOT NULL REFERENCES runners(id),"
	"  name TEXT NOT NULL,"
	"  role INTEGER NOT NULL DEFAULT 0,"
	"  dd_epoch INTEGER NOT NULL DEFAULT 0,"
	"  dd_top INTEGER NOT NULL DEFAULT 0,"
	"  dd_bits INTEGER NOT NULL DEFAULT 0,"	/* uint64 cast to int64 */
	"  dd_acked INTEGER NOT NULL DEFAULT 0,"
	"  online INTEGER NOT NULL DEFAULT 0,"
	"  battery INTEGER NOT NULL DEFAULT -1,"
	"  last_seen_ms INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE(runner_id, name));"
	"CREATE TABLE sessions("
	"  id INTEGER PRIMARY KEY,"
	"  runner_id INTEGER NOT NULL REFERENCES runners(id),"
	"  open INTEGER NOT NULL DEFAULT 1,"
	"  start_ms INTEGER NOT NULL,"
	"  last_t_ms INTEGER NOT NULL,"
	"  stop_ms INTEGER NOT NULL DEFAULT 0,"
	/* The summary, valid once open = 0; first_ms is its start_ms. */
	"  first_ms INTEGER NOT NULL DEFAULT 0,"
	"  end_ms INTEGER NOT NULL DEFAULT 0,"
	"  moving_s REAL NOT NULL DEFAULT 0,"
	"  distance_m REAL NOT NULL DEFAULT 0,"
	"  avg_speed REAL NOT NULL DEFAULT 0,"
	"  max_speed REAL NOT NULL DEFAULT 0,"
	"  avg_cadence REAL NOT NULL DEFAULT 0,"
	"  avg_step REAL NOT NULL DEFAULT 0,"
	"  band_s_0 REAL NOT NULL DEFAULT 0,"
	"  band_s_1 REAL NOT NULL DEFAULT 0,"
	"  band_s_2 REAL NOT NULL DEFAULT 0,"
	"  band_s_3 REAL NOT NULL DEFAULT 0,"
	"  band_s_4 REAL NOT NULL DEFAULT 0,"
	"  band_m_0 REAL NOT NULL DEFAULT 0,"
	"  band_m_1 REAL NOT NULL DEFAULT 0,"
	"  band_m_2 REAL NOT NULL DEFAULT 0,"
	"  band_m_3 REAL NOT NULL DEFAULT 0,"
	"  band_m_4 REAL NOT NULL DEFAULT 0,"
	"  ungraded_s REAL NOT NULL DEFAULT 0,"
	"  samples INTEGER NOT NULL DEFAULT 0,"
	"  devices INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX sessions_runner ON sessions(runner_id, start_ms);"
	"CREATE TABLE chunks("
	"  session_id INTEGER NOT NULL REFERENCES sessions(id),"
	"  device_id INTEGER NOT NULL REFERENCES devices(id),"
	"  epoch INTEGER NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  t0_ms INTEGER NOT NULL,"
	"  n INTEGER NOT NULL,"
	"  data BLOB NOT NULL,"
	"  PRIMARY KEY(session_id, device_id, epoch, seq)) WITHOUT ROWID;"
	"CREATE TABLE events("
	"  id INTEGER PRIMARY KEY,"
	"  session_id INTEGER NOT NULL REFERENCES sessions(id),"
	"  device_id INTEGER NOT NULL REFERENCES devices(id),"
	"  t_ms INTEGER NOT NULL,"
	"  type INTEGER NOT NULL);"
	"CREATE INDEX events_session ON events(session_id, t_ms);"
	"CREATE TABLE symptoms("
	"  id INTEGER PRIMARY KEY,"
	"  runner_id INTEGER NOT NULL REFERENCES runners(id),"
	"  device_id INTEGER NOT NULL REFERENCES devices(id),"
	"  session_id INTEGER REFERENCES sessions(id),"	/* NULL: none */
	"  t_ms INTEGER NOT NULL,"
	"  when_ INTEGER NOT NULL,"
	"  level INTEGER NOT NULL,"
	"  score INTEGER);"				/* NULL: not given */
	"CREATE INDEX symptoms_runner ON symptoms(runner_id, t_ms);",

	/*
	 * 2: plans, runner profiles, and reports typed at the CLI. A plan
	 * row keeps the canonical JSON devices got and what the rules had
	 * seen (closed sessions, newest report id) when they made it. A
	 * report typed at `stridehub report` has no device, so device_id
	 * becomes nullable; SQLite cannot drop a NOT NULL in place, so the
	 * table is rebuilt (ids kept: they order reports).
	 */
	"CREATE TABLE plans("
	"  runner_id INTEGER NOT NULL REFERENCES runners(id),"
	"  version INTEGER NOT NULL,"
	"  issued_ms INTEGER NOT NULL,"
	"  reasons TEXT NOT NULL,"	/* codes, "," separated, decision first */
	"  json TEXT NOT NULL,"		/* what devices get */
	"  seen_sessions INTEGER NOT NULL DEFAULT 0,"
	"  seen_symptom INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY(runner_id, version)) WITHOUT ROWID;"
	"ALTER TABLE runners ADD COLUMN height_cm INTEGER;"	/* NULL: unknown */
	"ALTER TABLE runners ADD COLUMN cadence_spm INTEGER;"
	"ALTER TABLE runners ADD COLUMN usual_level INTEGER;"
	"ALTER TABLE runners ADD COLUMN usual_score INTEGER;"
	"CREATE TABLE symptoms_v2("
	"  id INTEGER PRIMARY KEY,"
	"  runner_id INTEGER NOT NULL REFERENCES runners(id),"
	"  device_id INTEGER REFERENCES devices(id),"	/* NULL: the CLI */
	"  session_id INTEGER REFERENCES sessions(id),"	/* NULL: none */
	"  t_ms INTEGER NOT NULL,"
	"  when_ INTEGER NOT NULL,"
	"  level INTEGER NOT NULL,"
	"  score INTEGER);"				/* NULL: not given */
	"INSERT INTO symptoms_v2(id, runner_id, device_id, session_id, t_ms,"
	"  when_, level, score) SELECT id, runner_id, device_id, session_id,"
	"  t_ms, when_, level, score FROM symptoms;"
	"DROP TABLE symptoms;"
	"ALTER TABLE symptoms_v2 RENAME TO symptoms;"
	"CREATE INDEX symptoms_runner ON symptoms(runner_id, t_ms);",

	/*
	 * 3: history import (`stridehub import`, hub/import.c). A session
	 * made from a file is marked imported. Each import run leaves one
	 * row in imports when it ends: the hub polls its newest id, as it
	 * polls symptoms for reports typed at the CLI, and recomputes the
	 * plan of each runner with a newer row (design note 8).
	 */
	"ALTER TABLE sessions ADD COLUMN imported INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE imports("
	"  id INTEGER PRIMARY KEY,"
	"  runner_id INTEGER NOT NULL REFERENCES runners(id),"
	"  t_ms INTEGER NOT NULL,"	/* when the import ran (CLI clock) */
	"  files INTEGER NOT NULL,"
	"  added INTEGER NOT NULL,"
	"  skipped INTEGER NOT NULL,"
	"  refused INTEGER NOT NULL);",

	/*
	 * 4: the live cues a watch gave during a session, counted per cue
	 * (stride_cue) and sent with its stop event.
	 */
	"CREATE TABLE session_cues("
	"  session_id INTEGER NOT NULL REFERENCES sessions(id),"
	"  device_id INTEGER NOT NULL REFERENCES devices(id),"
	"  cue INTEGER NOT NULL,"
	"  count INTEGER NOT NULL,"
	"  PRIMARY KEY(session_id, device_id, cue)) WITHOUT ROWID;",

	/*
	 * 5: device public keys (issue 4, design note 9). One row per key a
	 * device was ever enrolled with; revoked_ms NULL while it is active.
	 * At most one active key per device (the partial index), and a key
	 * is enrolled once in the whole store (fp UNIQUE): a revoked key can
	 * never come back, and two devices never share one.
	 */
	"CREATE TABLE device_keys("
	"  id INTEGER PRIMARY KEY,"
	"  device_id INTEGER NOT NULL REFERENCES devices(id),"
	"  pk BLOB NOT NULL,"		/* X25519 public key, 32 bytes */
	"  fp BLOB NOT NULL UNIQUE,"	/* BLAKE2b-256(pk), 32 bytes */
	"  added_ms INTEGER NOT NULL,"
	"  revoked_ms INTEGER);"	/* NULL: active */
	"CREATE UNIQUE INDEX device_keys_active ON device_keys(device_id)"
	"  WHERE revoked_ms IS NULL;",

	/*
	 * 6: deleting a runner (design note 10). `stridehub runner delete`
	 * records a request; the hub, which owns the runner's memory and
	 * the broker side, does the deleting and sets done_ms. Ids the hub
	 * polls must never be reused once rows are deleted (a reused id at
	 * or below what the hub has seen would never be noticed), so
	 * symptoms and imports are rebuilt with AUTOINCREMENT (ids kept),
	 * and deletions has it from the start.
	 */
	"CREATE TABLE deletions("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  runner_id INTEGER NOT NULL,"	/* no REFERENCES: it goes away */
	"  runner TEXT NOT NULL,"
	"  requested_ms INTEGER NOT NULL,"	/* CLI clock */
	"  done_ms INTEGER);"			/* NULL: pending */
	"CREATE INDEX deletions_pending ON deletions(id) WHERE done_ms IS NULL;"
	"CREATE TABLE symptoms_v6("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  runner_id INTEGER NOT NULL REFERENCES runners(id),"
	"  device_id INTEGER REFERENCES devices(id),"	/* NULL: the CLI */
	"  session_id INTEGER REFERENCES sessions(id),"	/* NULL: none */
	"  t_ms INTEGER NOT NULL,"
	"  when_ INTEGER NOT NULL,"
	"  level INTEGER NOT NULL,"
	"  score INTEGER);"				/* NULL: not given */
	"INSERT INTO symptoms_v6(id, runner_id, device_id, session_id, t_ms,"
	"  when_, level, score) SELECT id, runner_id, device_id, session_id,"
	"  t_ms, when_, level, score FROM symptoms;"
	"DROP TABLE symptoms;"
	"ALTER TABLE symptoms_v6 RENAME TO symptoms;"
	"CREATE INDEX symptoms_runner ON symptoms(runner_id, t_ms);"
	"CREATE TABLE imports_v6("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  runner_id INTEGER NOT NULL REFERENCES runners(id),"
	"  t_ms INTEGER NOT NULL,"
	"  files INTEGER NOT NULL,"
	"  added INTEGER NOT NULL,"
	"  skipped INTEGER NOT NULL,"
	"  refused INTEGER NOT NULL);"
	"INSERT INTO imports_v6(id, runner_id, t_ms, files, added, skipped,"
	"  refused) SELECT id, runner_id, t_ms, files, added, skipped, refused"
	"  FROM imports;"
	"DROP TABLE imports;"
	"ALTER TABLE imports_v6 RENAME TO imports;",

	/*
	 * 7: sealed plans and hub key rotations (issue 4, design note 11).
	 * device_plans: per device, the version of the last plan sealed for
	 * it (only grows), which runner plan it sealed, and when that seal
	 * was issued and expires. hub_rotations: every rotation
	 * announcement, oldest first (AUTOINCREMENT: the hub polls the
	 * newest id).
	 */
	"CREATE TABLE device_plans("
	"  device_id INTEGER PRIMARY KEY REFERENCES devices(id),"
	"  version INTEGER NOT NULL,"		/* >= 1, only grows */
	"  plan_version INTEGER NOT NULL,"	/* plans.version it sealed */
	"  issued_ms INTEGER NOT NULL,"
	"  expires_ms INTEGER NOT NULL);"
	"CREATE TABLE hub_rotations("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  issued_ms INTEGER NOT NULL,"
	"  old_key_id BLOB NOT NULL,"	/* 8 bytes */
	"  sign_pk BLOB NOT NULL UNIQUE,"	/* 32: a key is rotated to once */
	"  kx_pk BLOB NOT NULL,"		/* 32 */
	"  announcement BLOB NOT NULL);",	/* 216, crypto_rot_sign */
};
#define STORE_SCHEMA_VERSION \
	((int)(sizeof(store_migrations) / sizeof(store_migrations[0])))

enum store_stmt {
	STORE_BEGIN_READ,
	STORE_BEGIN_WRITE,
	STORE_COMMIT,
	STORE_ROLLBACK,
	STORE_DATA_VERSION,
	STORE_RUNNER_GET,
	STORE_RUNNER_ADD,
	STORE_DEVICE_GET,
	STORE_DEVICE_ADD,
	STORE_DEVICE_SAVE,
	STORE_CHUNK_PUT,
	STORE_CHUNKS_OF,
	STORE_SESSION_NEW,
	STORE_SESSION_SAVE,
	STORE_SESSION_CLOSE,
	STORE_SESSION_GET,
	STORE_EVENT_PUT,
	STORE_SYMPTOM_PUT,
	STORE_RUNNERS_WALK,
	STORE_DEVICES_WALK,
	STORE_SESSIONS_WALK,
	STORE_SYMPTOMS_OF,
	STORE_SUMMARIES_OF,
	STORE_PROFILE_GET,
	STORE_PROFILE_SET,
	STORE_PLAN_PUT,
	STORE_PLAN_LATEST,
	STORE_PLAN_SEEN,
	STORE_PLANS_WALK,
	STORE_RUNNER_MARKS,
	STORE_SYMPTOM_LAST,
	STORE_SYMPTOM_RUNNERS,
	STORE_PLANS_STALE,
	STORE_SESSIONS_NEAR,
	STORE_SESSION_IMPORTED,
	STORE_IMPORT_PUT,
	STORE_IMPORT_LAST,
	STORE_IMPORT_RUNNERS,
	STORE_CUES_PUT,
	STORE_CUES_OF,
	STORE_DKEY_ACTIVE,
	STORE_DKEY_BY_FP,
	STORE_DKEY_PUT,
	STORE_DKEY_REVOKE,
	STORE_DKEYS_WALK,
	STORE_RUNNER_COUNTS,
	STORE_DEL_CHUNKS,
	STORE_DEL_EVENTS,
	STORE_DEL_SYMPTOMS,
	STORE_DEL_CUES,
	STORE_DEL_SESSIONS,
	STORE_DEL_PLANS,
	STORE_DEL_DKEYS,
	STORE_DEL_DEVICES,
	STORE_DEL_IMPORTS,
	STORE_DEL_RUNNER,
	STORE_DELETION_PUT,
	STORE_DELETION_LAST,
	STORE_DELETIONS_PENDING,
	STORE_DELETION_DONE,
	STORE_DEL_DPLANS,
	STORE_DPLAN_GET,
	STORE_DPLAN_NEXT,
	STORE_DPLANS_DUE,
	STORE_ROT_PUT,
	STORE_ROT_LAST,
	STORE_ROTS_WALK,
	STORE_STMT_COUNT
};

/* Columns read by store_device_row(), in this order. */
#define STORE_DEVICE_COLS \
	"d.id, d.runner_id, r.name, d.name, d.role, d.dd_epoch, d.dd_top, " \
	"d.dd_bits, d.dd_acked, d.online, d.battery, d.last_seen_ms"
/* Columns read by store_session_row(), in this order. */
#define STORE_SESSION_COLS \
	"s.id, s.runner_id, r.name, s.open, s.start_ms, s.last_t_ms, " \
	"s.stop_ms, s.first_ms, s.end_ms, s.moving_s, s.distance_m, " \
	"s.avg_speed, s.max_speed, s.avg_cadence, s.avg_step, " \
	"s.band_s_0, s.band_s_1, s.band_s_2, s.band_s_3, s.band_s_4, " \
	"s.band_m_0, s.band_m_1, s.band_m_2, s.band_m_3, s.band_m_4, " \
	"s.ungraded_s, s.samples, s.devices, s.imported"

/* Columns read by store_key_row(), in this order; k may be NULLs (a
 * device without a key, in the walk). */
#define STORE_KEY_COLS \
	"d.id, r.name, d.name, k.id, k.pk, k.fp, k.added_ms, k.revoked_ms"
#define STORE_KEY_FROM \
	" FROM device_keys k JOIN devices d ON d.id = k.device_id" \
	" JOIN runners r ON r.id = d.runner_id"

/* Columns read by store_dplan_row(), in this order. */
#define STORE_DPLAN_COLS \
	"device_id, version, plan_version, issued_ms, expires_ms"

/* Columns read by store_symptom_row(), in this order. */
#define STORE_SYMPTOM_COLS \
	"id, runner_id, device_id, session_id, t_ms, when_, level, score"
/* Columns read by store_plan_row(), in this order. */
#define STORE_PLAN_COLS \
	"runner_id, version, issued_ms, reasons, json, seen_sessions, " \
	"seen_symptom"

static const char *const store_sql[STORE_STMT_COUNT] = {
	[STORE_BEGIN_READ] = "BEGIN",
	/* IMMEDIATE: take the write lock now, so a busy file is waited for
	 * at the start of a batch and never fails it half way. */
	[STORE_BEGIN_WRITE] = "BEGIN IMMEDIATE",
	[STORE_COMMIT] = "COMMIT",
	[STORE_ROLLBACK] = "ROLLBACK",
	[STORE_DATA_VERSION] = "PRAGMA data_version",
	[STORE_RUNNER_GET] = "SELECT id FROM runners WHERE name = ?1",
	[STORE_RUNNER_ADD] =
	    "INSERT INTO runners(name, created_ms) VALUES(?1, ?2)",
	[STORE_DEVICE_GET] = "SELECT " STORE_DEVICE_COLS
	    " FROM devices d JOIN runners r ON r.id = d.runner_id"
	    " WHERE d.runner_id = ?1 AND d.name = ?2",
	[STORE_DEVICE_ADD] =
	    "INSERT INTO devices(runner_id, name) VALUES(?1, ?2)",
	[STORE_DEVICE_SAVE] = "UPDATE devices SET role = ?2, dd_epoch = ?3,"
	    " dd_top = ?4, dd_bits = ?5, dd_acked = ?6, online = ?7,"
	    " battery = ?8, last_seen_ms = ?9 WHERE id = ?1",
	[STORE_CHUNK_PUT] = "INSERT OR IGNORE INTO chunks(session_id,"
	    " device_id, epoch, seq, t0_ms, n, data)"
	    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[STORE_CHUNKS_OF] = "SELECT c.device_id, d.role, c.epoch, c.seq,"
	    " c.t0_ms, c.n, c.data FROM chunks c"
	    " JOIN devices d ON d.id = c.device_id"
	    " WHERE c.session_id = ?1 ORDER BY c.device_id, c.t0_ms",
	[STORE_SESSION_NEW] = "INSERT INTO sessions(runner_id, start_ms,"
	    " last_t_ms) VALUES(?1, ?2, ?2)",
	[STORE_SESSION_SAVE] = "UPDATE sessions SET start_ms = ?2,"
	    " last_t_ms = ?3, stop_ms = ?4 WHERE id = ?1",
	[STORE_SESSION_CLOSE] = "UPDATE sessions SET open = 0,"
	    " first_ms = ?2, end_ms = ?3, moving_s = ?4, distance_m = ?5,"
	    " avg_speed = ?6, max_speed = ?7, avg_cadence = ?8,"
	    " avg_step = ?9, band_s_0 = ?10, band_s_1 = ?11,"
	    " band_s_2 = ?12, band_s_3 = ?13, band_s_4 = ?14,"
	    " band_m_0 = ?15, band_m_1 = ?16, band_m_2 = ?17,"
	    " band_m_3 = ?18, band_m_4 = ?19, ungraded_s = ?20,"
	    " samples = ?21, devices = ?22 WHERE id = ?1",
	[STORE_SESSION_GET] = "SELECT " STORE_SESSION_COLS
	    " FROM sessions s JOIN runners r ON r.id = s.runner_id"
	    " WHERE s.id = ?1",
	[STORE_EVENT_PUT] = "INSERT INTO events(session_id, device_id,"
	    " t_ms, type) VALUES(?1, ?2, ?3, ?4)",
	/* A second stop from the same device replaces the first's counts. */
	[STORE_CUES_PUT] = "INSERT OR REPLACE INTO session_cues(session_id,"
	    " device_id, cue, count) VALUES(?1, ?2, ?3, ?4)",
	[STORE_CUES_OF] = "SELECT cue, sum(count) FROM session_cues"
	    " WHERE session_id = ?1 GROUP BY cue",
	[STORE_SYMPTOM_PUT] = "INSERT INTO symptoms(runner_id, device_id,"
	    " session_id, t_ms, when_, level, score)"
	    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[STORE_RUNNERS_WALK] = "SELECT r.id, r.name, r.created_ms,"
	    " (SELECT count(*) FROM devices d WHERE d.runner_id = r.id),"
	    " (SELECT count(*) FROM sessions s WHERE s.runner_id = r.id)"
	    " FROM runners r ORDER BY r.name",
	[STORE_DEVICES_WALK] = "SELECT " STORE_DEVICE_COLS
	    " FROM devices d JOIN runners r ON r.id = d.runner_id"
	    " WHERE ?1 IS NULL OR r.name = ?1 ORDER BY r.name, d.name",
	[STORE_SESSIONS_WALK] = "SELECT " STORE_SESSION_COLS
	    " FROM sessions s JOIN runners r ON r.id = s.runner_id"
	    " WHERE (?1 IS NULL OR r.name = ?1) AND (?2 = 0 OR s.open = 1)"
	    " ORDER BY s.start_ms, s.id",
	/* The newest `limit` rows, handed out oldest first. */
	[STORE_SYMPTOMS_OF] = "SELECT " STORE_SYMPTOM_COLS " FROM"
	    " (SELECT * FROM symptoms WHERE runner_id = ?1 AND t_ms >= ?2"
	    " ORDER BY t_ms DESC, id DESC LIMIT ?3) ORDER BY t_ms, id",
	[STORE_SUMMARIES_OF] = "SELECT " STORE_SESSION_COLS " FROM"
	    " (SELECT * FROM sessions WHERE runner_id = ?1 AND open = 0"
	    " AND first_ms >= ?2 ORDER BY first_ms DESC, id DESC LIMIT ?3) s"
	    " JOIN runners r ON r.id = s.runner_id ORDER BY s.first_ms, s.id",
	[STORE_PROFILE_GET] = "SELECT height_cm, cadence_spm, usual_level,"
	    " usual_score FROM runners WHERE id = ?1",
	[STORE_PROFILE_SET] = "UPDATE runners SET height_cm = ?2,"
	    " cadence_spm = ?3, usual_level = ?4, usual_score = ?5"
	    " WHERE id = ?1",
	[STORE_PLAN_PUT] = "INSERT INTO plans(runner_id, version, issued_ms,"
	    " reasons, json, seen_sessions, seen_symptom)"
	    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[STORE_PLAN_LATEST] = "SELECT " STORE_PLAN_COLS " FROM plans"
	    " WHERE runner_id = ?1 ORDER BY version DESC LIMIT 1",
	[STORE_PLAN_SEEN] = "UPDATE plans SET seen_sessions = ?3,"
	    " seen_symptom = ?4 WHERE runner_id = ?1 AND version = ?2",
	[STORE_PLANS_WALK] = "SELECT " STORE_PLAN_COLS " FROM plans"
	    " WHERE runner_id = ?1 ORDER BY version",
	[STORE_RUNNER_MARKS] = "SELECT (SELECT count(*) FROM sessions"
	    " WHERE runner_id = ?1 AND open = 0), (SELECT coalesce(max(id), 0)"
	    " FROM symptoms WHERE runner_id = ?1)",
	/* max() of the rowid is one seek to the end of the table. */
	[STORE_SYMPTOM_LAST] = "SELECT coalesce(max(id), 0) FROM symptoms",
	[STORE_SYMPTOM_RUNNERS] = "SELECT DISTINCT y.runner_id, r.name"
	    " FROM symptoms y JOIN runners r ON r.id = y.runner_id"
	    " WHERE y.id > ?1 ORDER BY y.runner_id",
	[STORE_PLANS_STALE] = "SELECT r.id, r.name FROM runners r"
	    " LEFT JOIN plans p ON p.runner_id = r.id AND p.version ="
	    " (SELECT max(version) FROM plans q WHERE q.runner_id = r.id)"
	    " WHERE (SELECT count(*) FROM sessions s WHERE s.runner_id = r.id"
	    " AND s.open = 0) > coalesce(p.seen_sessions, 0)"
	    " OR (SELECT coalesce(max(y.id), 0) FROM symptoms y"
	    " WHERE y.runner_id = r.id) > coalesce(p.seen_symptom, 0)"
	    " ORDER BY r.id",
	/* A range of the sessions_runner index. */
	[STORE_SESSIONS_NEAR] = "SELECT " STORE_SESSION_COLS
	    " FROM sessions s JOIN runners r ON r.id = s.runner_id"
	    " WHERE s.runner_id = ?1 AND s.start_ms >= ?2 AND s.start_ms <= ?3"
	    " ORDER BY s.start_ms, s.id",
	[STORE_SESSION_IMPORTED] = "UPDATE sessions SET imported = 1"
	    " WHERE id = ?1",
	[STORE_IMPORT_PUT] = "INSERT INTO imports(runner_id, t_ms, files,"
	    " added, skipped, refused) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[STORE_IMPORT_LAST] = "SELECT coalesce(max(id), 0) FROM imports",
	[STORE_IMPORT_RUNNERS] = "SELECT DISTINCT i.runner_id, r.name"
	    " FROM imports i JOIN runners r ON r.id = i.runner_id"
	    " WHERE i.id > ?1 ORDER BY i.runner_id",
	[STORE_DKEY_ACTIVE] = "SELECT " STORE_KEY_COLS STORE_KEY_FROM
	    " WHERE k.device_id = ?1 AND k.revoked_ms IS NULL",
	[STORE_DKEY_BY_FP] = "SELECT " STORE_KEY_COLS STORE_KEY_FROM
	    " WHERE k.fp = ?1",
	[STORE_DKEY_PUT] = "INSERT INTO device_keys(device_id, pk, fp,"
	    " added_ms) VALUES(?1, ?2, ?3, ?4)",
	[STORE_DKEY_REVOKE] = "UPDATE device_keys SET revoked_ms = ?2"
	    " WHERE device_id = ?1 AND revoked_ms IS NULL",
	/* Each device with its newest key (the active one if any: a put
	 * revokes the old key before it inserts), or NULLs if none. */
	[STORE_DKEYS_WALK] = "SELECT " STORE_KEY_COLS
	    " FROM devices d JOIN runners r ON r.id = d.runner_id"
	    " LEFT JOIN device_keys k ON k.id = (SELECT max(id)"
	    " FROM device_keys WHERE device_id = d.id)"
	    " WHERE ?1 IS NULL OR r.name = ?1 ORDER BY r.name, d.name",
	/* Runner deletion (design note 10). */
	[STORE_RUNNER_COUNTS] = "SELECT"
	    " (SELECT count(*) FROM devices WHERE runner_id = ?1),"
	    " (SELECT count(*) FROM sessions WHERE runner_id = ?1),"
	    " (SELECT count(*) FROM symptoms WHERE runner_id = ?1),"
	    " (SELECT count(*) FROM plans WHERE runner_id = ?1),"
	    " (SELECT count(*) FROM imports WHERE runner_id = ?1)",
	/* Children first (foreign keys): rows naming one of the runner's
	 * sessions or devices, whoever's they are. */
	[STORE_DEL_CHUNKS] = "DELETE FROM chunks WHERE session_id IN"
	    " (SELECT id FROM sessions WHERE runner_id = ?1) OR device_id IN"
	    " (SELECT id FROM devices WHERE runner_id = ?1)",
	[STORE_DEL_EVENTS] = "DELETE FROM events WHERE session_id IN"
	    " (SELECT id FROM sessions WHERE runner_id = ?1) OR device_id IN"
	    " (SELECT id FROM devices WHERE runner_id = ?1)",
	[STORE_DEL_SYMPTOMS] = "DELETE FROM symptoms WHERE runner_id = ?1"
	    " OR session_id IN (SELECT id FROM sessions WHERE runner_id = ?1)"
	    " OR device_id IN (SELECT id FROM devices WHERE runner_id = ?1)",
	[STORE_DEL_CUES] = "DELETE FROM session_cues WHERE session_id IN"
	    " (SELECT id FROM sessions WHERE runner_id = ?1) OR device_id IN"
	    " (SELECT id FROM devices WHERE runner_id = ?1)",
	[STORE_DEL_SESSIONS] = "DELETE FROM sessions WHERE runner_id = ?1",
	[STORE_DEL_PLANS] = "DELETE FROM plans WHERE runner_id = ?1",
	[STORE_DEL_DKEYS] = "DELETE FROM device_keys WHERE device_id IN"
	    " (SELECT id FROM devices WHERE runner_id = ?1)",
	[STORE_DEL_DEVICES] = "DELETE FROM devices WHERE runner_id = ?1",
	[STORE_DEL_IMPORTS] = "DELETE FROM imports WHERE runner_id = ?1",
	[STORE_DEL_RUNNER] = "DELETE FROM runners WHERE id = ?1",
	[STORE_DELETION_PUT] = "INSERT INTO deletions(runner_id, runner,"
	    " requested_ms) VALUES(?1, ?2, ?3)",
	[STORE_DELETION_LAST] = "SELECT coalesce(max(id), 0) FROM deletions",
	[STORE_DELETIONS_PENDING] = "SELECT id, runner_id, runner,"
	    " requested_ms FROM deletions WHERE done_ms IS NULL ORDER BY id"
	    " LIMIT ?1",
	[STORE_DELETION_DONE] = "UPDATE deletions SET done_ms = ?2"
	    " WHERE id = ?1 AND done_ms IS NULL",
	[STORE_DEL_DPLANS] = "DELETE FROM device_plans WHERE device_id IN"
	    " (SELECT id FROM devices WHERE runner_id = ?1)",
	/* Sealed plans and rotations (design note 11). */
	[STORE_DPLAN_GET] = "SELECT " STORE_DPLAN_COLS " FROM device_plans"
	    " WHERE device_id = ?1",
	/* The version only grows; at INT64_MAX the WHERE fails and no row
	 * comes back (an error, never a wrap). */
	[STORE_DPLAN_NEXT] = "INSERT INTO device_plans(device_id, version,"
	    " plan_version, issued_ms, expires_ms) VALUES(?1, 1, ?2, ?3, ?4)"
	    " ON CONFLICT(device_id) DO UPDATE SET version = version + 1,"
	    " plan_version = ?2, issued_ms = ?3, expires_ms = ?4"
	    " WHERE version >= 1 AND version < 9223372036854775807"
	    " RETURNING version",
	/* Devices with an active key whose runner has a plan and whose seal
	 * expires before ?1, or that were never sent one. */
	[STORE_DPLANS_DUE] = "SELECT d.id, d.runner_id, r.name, d.name,"
	    " p.version, p.plan_version, p.issued_ms, p.expires_ms"
	    " FROM device_keys k JOIN devices d ON d.id = k.device_id"
	    " JOIN runners r ON r.id = d.runner_id"
	    " LEFT JOIN device_plans p ON p.device_id = d.id"
	    " WHERE k.revoked_ms IS NULL"
	    " AND (p.device_id IS NULL OR p.expires_ms < ?1)"
	    " AND EXISTS (SELECT 1 FROM plans WHERE runner_id = d.runner_id)"
	    " ORDER BY d.runner_id, d.id",
	[STORE_ROT_PUT] = "INSERT INTO hub_rotations(issued_ms, old_key_id,"
	    " sign_pk, kx_pk, announcement) VALUES(?1, ?2, ?3, ?4, ?5)",
	[STORE_ROT_LAST] = "SELECT coalesce(max(id), 0) FROM hub_rotations",
	/* The newest ?1, handed out oldest first. */
	[STORE_ROTS_WALK] = "SELECT id, issued_ms, old_key_id, sign_pk, kx_pk,"
	    " announcement FROM (SELECT * FROM hub_rotations ORDER BY id DESC"
	    " LIMIT ?1) ORDER BY id",
};

struct store {
	sqlite3		*db;
	int		 readonly;
	sqlite3_stmt	*stmt[STORE_STMT_COUNT];
};

/* Log the failed operation with SQLite's reason. Always returns -1. */
static int
store_fail(struct store *st, const char *op)
{
	log_warnx("store: %s: %s", op, sqlite3_errmsg(st->db));
	return -1;
}

/* Run a statement that returns no rows. */
static int
store_exec_stmt(struct store *st, enum store_stmt k, const char *op)
{
	sqlite3_stmt	*q = st->stmt[k];
	int		 rc;

	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return store_fail(st, op);
	return 0;
}

/* A name read from the file: a valid protocol id, or the row is bad. */
static int
store_copy_id(char *dst, sqlite3_stmt *q, int col)
{
	const unsigned char	*s = sqlite3_column_text(q, col);
	int			 len = sqlite3_column_bytes(q, col);

	if (s == NULL || len < 1 || len > STRIDE_ID_MAX ||
	    !stride_id_valid((const char *)s, (size_t)len))
		return -1;
	memcpy(dst, s, (size_t)len);
	dst[len] = '\0';
	return 0;
}

/* A name from a caller, before it is bound. */
static int
store_id_ok(const char *what, const char *s)
{
	if (s == NULL || !stride_id_valid(s, strnlen(s, STRIDE_ID_MAX + 1))) {
		log_warnx("store: invalid %s id", what);
		return -1;
	}
	return 0;
}

static int
store_u32(sqlite3_stmt *q, int col, uint32_t *out)
{
	sqlite3_int64 v = sqlite3_column_int64(q, col);

	if (v < 0 || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* SQLite stores NaN as NULL, which NOT NULL refuses: keep finite. */
static int
store_bind_real(sqlite3_stmt *q, int i, double v)
{
	return sqlite3_bind_double(q, i, isfinite(v) ? v : 0.0);
}

static int
store_device_row(sqlite3_stmt *q, struct store_device *d)
{
	sqlite3_int64	role, online, battery;

	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int64(q, 0);
	d->runner_id = sqlite3_column_int64(q, 1);
	if (store_copy_id(d->runner, q, 2) == -1 ||
	    store_copy_id(d->device, q, 3) == -1)
		return -1;
	role = sqlite3_column_int64(q, 4);
	if (role < 0 || role >= STRIDE_ROLE_COUNT)
		return -1;
	d->role = (enum stride_role)role;
	if (store_u32(q, 5, &d->dd.epoch) == -1 ||
	    store_u32(q, 6, &d->dd.top) == -1 ||
	    store_u32(q, 8, &d->dd.acked) == -1)
		return -1;
	d->dd.bits = (uint64_t)sqlite3_column_int64(q, 7);
	/* dedupe.c's invariant: acked <= top. */
	if (d->dd.acked > d->dd.top)
		return -1;
	online = sqlite3_column_int64(q, 9);
	battery = sqlite3_column_int64(q, 10);
	if (online < 0 || online > 1 || battery < -1 ||
	    battery > STRIDE_BATTERY_MAX)
		return -1;
	d->online = (int)online;
	d->battery = (int)battery;
	d->last_seen_ms = sqlite3_column_int64(q, 11);
	return 0;
}

static int
store_session_row(sqlite3_stmt *q, struct store_session *s)
{
	struct session_summary	*m = &s->sum;
	sqlite3_int64		 samples, devices;
	int			 i;

	memset(s, 0, sizeof(*s));
	s->id = sqlite3_column_int64(q, 0);
	s->runner_id = sqlite3_column_int64(q, 1);
	if (store_copy_id(s->runner, q, 2) == -1)
		return -1;
	s->open = sqlite3_column_int64(q, 3) != 0;
	s->start_ms = sqlite3_column_int64(q, 4);
	s->last_t_ms = sqlite3_column_int64(q, 5);
	s->stop_ms = sqlite3_column_int64(q, 6);
	m->start_ms = sqlite3_column_int64(q, 7);
	m->end_ms = sqlite3_column_int64(q, 8);
	m->moving_s = sqlite3_column_double(q, 9);
	m->distance_m = sqlite3_column_double(q, 10);
	m->avg_speed_mps = sqlite3_column_double(q, 11);
	m->max_speed_mps = sqlite3_column_double(q, 12);
	m->avg_cadence_spm = sqlite3_column_double(q, 13);
	m->avg_step_m = sqlite3_column_double(q, 14);
	for (i = 0; i < FUSE_BANDS; i++) {
		m->band_s[i] = sqlite3_column_double(q, 15 + i);
		m->band_m[i] = sqlite3_column_double(q, 15 + FUSE_BANDS + i);
	}
	m->ungraded_s = sqlite3_column_double(q, 25);
	samples = sqlite3_column_int64(q, 26);
	devices = sqlite3_column_int64(q, 27);
	if (samples < 0 || samples > UINT32_MAX || devices < 0 ||
	    devices > UINT32_MAX)
		return -1;
	m->samples = (uint32_t)samples;
	m->devices = (uint32_t)devices;
	s->imported = sqlite3_column_int64(q, 28) != 0;
	return 0;
}

static int
store_user_version(struct store *st, int *version)
{
	sqlite3_stmt	*q = NULL;
	int		 rc;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &q,
	    NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Bring the schema up to STORE_SCHEMA_VERSION (design note 1). */
static int
store_migrate(struct store *st, char *err, size_t errlen)
{
	char	sql[64];
	int	v, i;

	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "begin migration: %s",
		    sqlite3_errmsg(st->db));
		return -1;
	}
	if (store_user_version(st, &v) == -1) {
		snprintf(err, errlen, "read schema version: %s",
		    sqlite3_errmsg(st->db));
		goto fail;
	}
	if (v < 0 || v > STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "schema version %d is not one this "
		    "hub knows (1..%d): written by a newer StrideHub?", v,
		    STORE_SCHEMA_VERSION);
		goto fail;
	}
	for (i = v; i < STORE_SCHEMA_VERSION; i++) {
		if (sqlite3_exec(st->db, store_migrations[i], NULL, NULL,
		    NULL) != SQLITE_OK) {
			snprintf(err, errlen, "migration %d: %s", i + 1,
			    sqlite3_errmsg(st->db));
			goto fail;
		}
	}
	if (v != STORE_SCHEMA_VERSION) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		    STORE_SCHEMA_VERSION);
		if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "set schema version: %s",
			    sqlite3_errmsg(st->db));
			goto fail;
		}
	}
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "commit migration: %s",
		    sqlite3_errmsg(st->db));
		goto fail;
	}
	if (v != STORE_SCHEMA_VERSION)
		log_info("store: schema migrated from version %d to %d", v,
		    STORE_SCHEMA_VERSION);
	return 0;
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* A read-only handle cannot migrate: it needs the current schema. */
static int
store_check_version(struct store *st, char *err, size_t errlen)
{
	int	v;

	if (store_user_version(st, &v) == -1) {
		snprintf(err, errlen, "read schema version: %s",
		    sqlite3_errmsg(st->db));
		return -1;
	}
	if (v == 0) {
		snprintf(err, errlen, "not a StrideHub store (no schema)");
		return -1;
	}
	if (v != STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "schema version %d, this program needs "
		    "%d%s", v, STORE_SCHEMA_VERSION, v < STORE_SCHEMA_VERSION ?
		    ": start the hub once to migrate it" : "");
		return -1;
	}
	return 0;
}

/*
 * WAL lets the admin commands read while the hub writes. The pragma answers
 * with the mode in force, which is not WAL on a file system without shared
 * memory: refuse that rather than run with readers blocking the writer.
 */
static int
store_wal(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt		*q = NULL;
	const unsigned char	*mode;
	int			 ok = 0;

	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &q,
	    NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
		mode = sqlite3_column_text(q, 0);
		ok = mode != NULL && strcmp((const char *)mode, "wal") == 0;
		if (!ok)
			snprintf(err, errlen, "journal mode is %s, not wal",
			    mode != NULL ? (const char *)mode : "unknown");
	} else
		snprintf(err, errlen, "PRAGMA journal_mode = WAL: %s",
		    sqlite3_errmsg(st->db));
	sqlite3_finalize(q);
	return ok ? 0 : -1;
}

static int
store_pragmas(struct store *st, char *err, size_t errlen)
{
	/* cache_size and wal_autocheckpoint (design note 3): the worker
	 * appends to one B-tree position per active device; 32 MB of cache
	 * keeps those pages hot across batches, and checkpointing every
	 * 8192 pages (32 MB) instead of 1000 cuts the fsyncs per message;
	 * together ~1.5x the messages per second of the defaults. */
	static const char *const rw[] = {
		"PRAGMA synchronous = NORMAL",
		"PRAGMA foreign_keys = ON",
		"PRAGMA trusted_schema = OFF",
		"PRAGMA cache_size = -32768",
		"PRAGMA wal_autocheckpoint = 8192",
	};
	static const char *const ro[] = {
		"PRAGMA query_only = ON",
		"PRAGMA trusted_schema = OFF",
	};
	const char *const	*list = st->readonly ? ro : rw;
	size_t			 n, i;
	char			 sql[64];

	n = st->readonly ? sizeof(ro) / sizeof(ro[0]) : sizeof(rw) / sizeof(rw[0]);
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
	/* Hostile files: no writes to sqlite_schema, no shadow-table tricks. */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	for (i = 0; i < n; i++) {
		if (sqlite3_exec(st->db, list[i], NULL, NULL, NULL) !=
		    SQLITE_OK) {
			snprintf(err, errlen, "%s: %s", list[i],
			    sqlite3_errmsg(st->db));
			return -1;
		}
	}
	if (!st->readonly) {
		if (store_wal(st, err, errlen) == -1)
			return -1;
		snprintf(sql, sizeof(sql), "PRAGMA journal_size_limit = %d",
		    STORE_WAL_LIMIT);
		if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "%s: %s", sql,
			    sqlite3_errmsg(st->db));
			return -1;
		}
	}
	return 0;
}

struct store *
store_open(const char *path, int readonly, char *err, size_t errlen)
{
	struct store	*st = NULL;
	char		 dummy[1];
	int		 flags, fd, i;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (path == NULL || *path == '\0') {
		snprintf(err, errlen, "no store path");
		return NULL;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	st->readonly = readonly != 0;
	if (!st->readonly) {
		/* Create it ourselves so it is private (design note 6). */
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		close(fd);
		flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	} else
		flags = SQLITE_OPEN_READONLY;
	flags |= SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, st->db != NULL ?
		    sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	if (store_pragmas(st, err, errlen) == -1)
		goto fail;
	if (st->readonly ? store_check_version(st, err, errlen) :
	    store_migrate(st, err, errlen))
		goto fail;
	for (i = 0; i < STORE_STMT_COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, store_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL) !=
		    SQLITE_OK) {
			snprintf(err, errlen, "prepare statement %d: %s", i,
			    sqlite3_errmsg(st->db));
			goto fail;
		}
	}
	return st;
fail:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	int	i;

	if (st == NULL)
		return;
	for (i = 0; i < STORE_STMT_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);	/* NULL is a no-op */
	if (st->db != NULL) {
		/* Cheap, and keeps the planner's statistics fresh. */
		if (!st->readonly)
			sqlite3_exec(st->db, "PRAGMA optimize", NULL, NULL,
			    NULL);
		if (sqlite3_close(st->db) != SQLITE_OK)
			log_warnx("store: close: %s", sqlite3_errmsg(st->db));
	}
	free(st);
}

int
store_begin(struct store *st)
{
	return store_exec_stmt(st, st->readonly ? STORE_BEGIN_READ :
	    STORE_BEGIN_WRITE, "begin");
}

int
store_commit(struct store *st)
{
	return store_exec_stmt(st, STORE_COMMIT, "commit");
}

static int	store_one(struct store *, sqlite3_stmt *, const char *,
		    int (*)(sqlite3_stmt *, void *), void *, size_t);

static int
store_int64_row(sqlite3_stmt *q, void *out)
{
	*(int64_t *)out = sqlite3_column_int64(q, 0);
	return 0;
}

/* A statement that yields one integer (a newest id, a version). 0 with
 * *v, or -1. */
static int
store_int64(struct store *st, enum store_stmt k, const char *op, int64_t *v)
{
	return store_one(st, st->stmt[k], op, store_int64_row, v,
	    sizeof(*v)) == 0 ? 0 : -1;
}

/* Step an INSERT whose values are bound; *id (if not NULL) gets the new
 * row's id. 0, or -1 (logged). */
static int
store_insert(struct store *st, sqlite3_stmt *q, const char *op, int64_t *id)
{
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return store_fail(st, op);
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_data_version(struct store *st, int64_t *v)
{
	return store_int64(st, STORE_DATA_VERSION, "data version", v);
}

int
store_rollback(struct store *st)
{
	/* After some errors SQLite has already rolled back: not a failure. */
	if (sqlite3_get_autocommit(st->db))
		return 0;
	return store_exec_stmt(st, STORE_ROLLBACK, "rollback");
}

int
store_runner_get(struct store *st, const char *runner, int create,
    int64_t *id)
{
	sqlite3_stmt	*q = st->stmt[STORE_RUNNER_GET];
	int		 rc;

	if (store_id_ok("runner", runner) == -1)
		return -1;
	sqlite3_bind_text(q, 1, runner, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return store_fail(st, "runner get");
	if (!create)
		return 1;

	q = st->stmt[STORE_RUNNER_ADD];
	sqlite3_bind_text(q, 1, runner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, clock_now_ms());
	return store_insert(st, q, "runner add", id);
}

/*
 * Step q for at most one row and read it with row into out (size bytes,
 * zeroed again if the row is bad). 0 filled, 1 no row, -1 error or a bad
 * row in the file (logged, naming op). q is reset either way.
 */
static int
store_one(struct store *st, sqlite3_stmt *q, const char *op,
    int (*row)(sqlite3_stmt *, void *), void *out, size_t size)
{
	int	rc, bad = 0;

	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		bad = row(q, out) == -1;
	sqlite3_reset(q);
	if (rc == SQLITE_ROW && bad) {
		log_warnx("store: %s: bad row in file", op);
		memset(out, 0, size);
		return -1;
	}
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return store_fail(st, op);
	return 1;
}

/* Typed rows for store_one. */
static int
store_device_row_v(sqlite3_stmt *q, void *out)
{
	return store_device_row(q, out);
}

static int
store_session_row_v(sqlite3_stmt *q, void *out)
{
	return store_session_row(q, out);
}

/* 0 and *out filled, 1 absent, -1 error or bad row. */
static int
store_device_find(struct store *st, int64_t runner_id, const char *device,
    struct store_device *out)
{
	sqlite3_stmt	*q = st->stmt[STORE_DEVICE_GET];

	sqlite3_bind_int64(q, 1, runner_id);
	sqlite3_bind_text(q, 2, device, -1, SQLITE_STATIC);
	return store_one(st, q, "device get", store_device_row_v, out,
	    sizeof(*out));
}

int
store_device_get(struct store *st, int64_t runner_id, const char *runner,
    const char *device, int create, struct store_device *out)
{
	sqlite3_stmt	*q;
	int		 rc;

	if (store_id_ok("runner", runner) == -1 ||
	    store_id_ok("device", device) == -1)
		return -1;
	rc = store_device_find(st, runner_id, device, out);
	if (rc != 1)
		return rc;
	if (!create)
		return 1;

	q = st->stmt[STORE_DEVICE_ADD];
	sqlite3_bind_int64(q, 1, runner_id);
	sqlite3_bind_text(q, 2, device, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return store_fail(st, "device add");
	/* The defaults are the schema's: what a new device starts with. */
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_last_insert_rowid(st->db);
	out->runner_id = runner_id;
	snprintf(out->runner, sizeof(out->runner), "%s", runner);
	snprintf(out->device, sizeof(out->device), "%s", device);
	out->role = STRIDE_ROLE_UNKNOWN;
	out->battery = -1;
	return 0;
}

int
store_device_save(struct store *st, const struct store_device *d)
{
	sqlite3_stmt	*q = st->stmt[STORE_DEVICE_SAVE];
	int		 rc;

	sqlite3_bind_int64(q, 1, d->id);
	sqlite3_bind_int(q, 2, (int)d->role);
	sqlite3_bind_int64(q, 3, d->dd.epoch);
	sqlite3_bind_int64(q, 4, d->dd.top);
	sqlite3_bind_int64(q, 5, (sqlite3_int64)d->dd.bits);
	sqlite3_bind_int64(q, 6, d->dd.acked);
	sqlite3_bind_int(q, 7, d->online != 0);
	sqlite3_bind_int(q, 8, d->battery);
	sqlite3_bind_int64(q, 9, d->last_seen_ms);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return store_fail(st, "device save");
	if (sqlite3_changes(st->db) != 1) {
		log_warnx("store: device save: no device %lld",
		    (long long)d->id);
		return -1;
	}
	return 0;
}

int
store_chunk_put(struct store *st, int64_t session_id, int64_t device_id,
    uint32_t epoch, uint32_t seq, const struct stride_sample *s, size_t n)
{
	sqlite3_stmt	*q = st->stmt[STORE_CHUNK_PUT];
	uint8_t		 blob[CHUNK_MAX];
	int		 len, rc;

	if ((len = chunk_pack(s, n, blob, sizeof(blob))) == -1) {
		log_warnx("store: chunk put: session %lld device %lld "
		    "%u/%u: samples out of range", (long long)session_id,
		    (long long)device_id, epoch, seq);
		return -1;
	}
	sqlite3_bind_int64(q, 1, session_id);
	sqlite3_bind_int64(q, 2, device_id);
	sqlite3_bind_int64(q, 3, epoch);
	sqlite3_bind_int64(q, 4, seq);
	sqlite3_bind_int64(q, 5, s[0].t_ms);
	sqlite3_bind_int(q, 6, (int)n);
	/* STATIC: blob lives until the reset below. */
	sqlite3_bind_blob(q, 7, blob, len, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return store_fail(st, "chunk put");
	return 0;
}

static int
store_samples_cmp(const void *a, const void *b)
{
	const struct stride_sample *x = a, *y = b;

	return (x->t_ms > y->t_ms) - (x->t_ms < y->t_ms);
}

/* One device's samples, gathered from its chunks. */
struct store_gather {
	struct stride_sample	*s;
	size_t			 n, cap;
	int			 sorted;	/* still in time order */
	int			 capped;	/* hit the cap; logged */
};

static int
store_gather_add(struct store_gather *g, const struct stride_sample *s,
    size_t k)
{
	struct stride_sample	*p;
	size_t			 cap;

	if (g->n + k > STORE_DEVICE_SAMPLES_MAX)
		return 1;
	if (g->n + k > g->cap) {
		cap = g->cap == 0 ? STORE_SAMPLES_INITIAL : g->cap * 2;
		if (cap > STORE_DEVICE_SAMPLES_MAX)
			cap = STORE_DEVICE_SAMPLES_MAX;
		/* cap <= STORE_DEVICE_SAMPLES_MAX: no overflow. */
		if ((p = realloc(g->s, cap * sizeof(*p))) == NULL)
			return -1;
		g->s = p;
		g->cap = cap;
	}
	if (g->n > 0 && s[0].t_ms < g->s[g->n - 1].t_ms)
		g->sorted = 0;
	memcpy(g->s + g->n, s, k * sizeof(*s));
	g->n += k;
	return 0;
}

static int
store_gather_deliver(struct store_gather *g, int64_t device_id,
    enum stride_role role, store_samples_cb cb, void *arg)
{
	int	ret = 0;

	/* Chunks come in t0 order but may overlap (a clock step, a re-send
	 * under a new epoch): sort once rather than merge chunk by chunk. */
	if (!g->sorted)
		qsort(g->s, g->n, sizeof(*g->s), store_samples_cmp);
	if (g->n > 0)
		ret = cb(arg, device_id, role, g->s, g->n);
	g->n = 0;
	g->sorted = 1;
	g->capped = 0;
	return ret;
}

int
store_session_samples(struct store *st, int64_t session_id,
    store_samples_cb cb, void *arg)
{
	sqlite3_stmt		*q = st->stmt[STORE_CHUNKS_OF];
	struct store_gather	 g = { NULL, 0, 0, 1, 0 };
	struct stride_sample	 one[STRIDE_SAMPLES_MAX];
	enum stride_role	 role = STRIDE_ROLE_UNKNOWN;
	sqlite3_int64		 dev = 0, d, r, t0, n;
	unsigned long		 corrupt = 0;
	int			 have = 0, rc, k, ret = 0;

	sqlite3_bind_int64(q, 1, session_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		d = sqlite3_column_int64(q, 0);
		if (have && d != dev) {
			if ((ret = store_gather_deliver(&g, dev, role, cb,
			    arg)) != 0)
				goto done;
		}
		dev = d;
		have = 1;
		r = sqlite3_column_int64(q, 1);
		role = r > 0 && r < STRIDE_ROLE_COUNT ? (enum stride_role)r :
		    STRIDE_ROLE_UNKNOWN;
		t0 = sqlite3_column_int64(q, 4);
		n = sqlite3_column_int64(q, 5);
		k = chunk_unpack(sqlite3_column_blob(q, 6),
		    (size_t)sqlite3_column_bytes(q, 6), one, STRIDE_SAMPLES_MAX);
		if (k < 1 || k != n || one[0].t_ms != t0) {
			if (corrupt++ == 0)
				log_warnx("store: session %lld device %lld "
				    "chunk %lld/%lld: corrupt, skipped",
				    (long long)session_id, (long long)d,
				    (long long)sqlite3_column_int64(q, 2),
				    (long long)sqlite3_column_int64(q, 3));
			continue;
		}
		switch (store_gather_add(&g, one, (size_t)k)) {
		case 0:
			break;
		case 1:
			if (!g.capped)
				log_warnx("store: session %lld device %lld: "
				    "over %d samples, the rest skipped",
				    (long long)session_id, (long long)d,
				    STORE_DEVICE_SAMPLES_MAX);
			g.capped = 1;
			break;
		default:
			log_warnx("store: session %lld: out of memory",
			    (long long)session_id);
			ret = -1;
			goto done;
		}
	}
	if (rc != SQLITE_DONE) {
		ret = store_fail(st, "session samples");
		goto done;
	}
	if (have)
		ret = store_gather_deliver(&g, dev, role, cb, arg);
done:
	if (corrupt > 1)
		log_warnx("store: session %lld: %lu corrupt chunks skipped",
		    (long long)session_id, corrupt);
	sqlite3_reset(q);
	free(g.s);
	return ret;
}

int
store_session_new(struct store *st, int64_t runner_id, int64_t start_ms,
    int64_t *id)
{
	sqlite3_stmt	*q = st->stmt[STORE_SESSION_NEW];

	sqlite3_bind_int64(q, 1, runner_id);
	sqlite3_bind_int64(q, 2, start_ms);
	return store_insert(st, q, "session new", id);
}

/* After an UPDATE by id: exactly one row, or the id was wrong. */
static int
store_changed_one(struct store *st, int rc, const char *op, int64_t id)
{
	if (rc != SQLITE_DONE)
		return store_fail(st, op);
	if (sqlite3_changes(st->db) != 1) {
		log_warnx("store: %s: no session %lld", op, (long long)id);
		return -1;
	}
	return 0;
}

int
store_session_save(struct store *st, const struct store_session *s)
{
	sqlite3_stmt	*q = st->stmt[STORE_SESSION_SAVE];
	int		 rc;

	sqlite3_bind_int64(q, 1, s->id);
	sqlite3_bind_int64(q, 2, s->start_ms);
	sqlite3_bind_int64(q, 3, s->last_t_ms);
	sqlite3_bind_int64(q, 4, s->stop_ms);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	return store_changed_one(st, rc, "session save", s->id);
}

int
store_session_close(struct store *st, int64_t id,
    const struct session_summary *m)
{
	sqlite3_stmt	*q = st->stmt[STORE_SESSION_CLOSE];
	int		 rc, i;

	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, m->start_ms);
	sqlite3_bind_int64(q, 3, m->end_ms);
	store_bind_real(q, 4, m->moving_s);
	store_bind_real(q, 5, m->distance_m);
	store_bind_real(q, 6, m->avg_speed_mps);
	store_bind_real(q, 7, m->max_speed_mps);
	store_bind_real(q, 8, m->avg_cadence_spm);
	store_bind_real(q, 9, m->avg_step_m);
	for (i = 0; i < FUSE_BANDS; i++) {
		store_bind_real(q, 10 + i, m->band_s[i]);
		store_bind_real(q, 10 + FUSE_BANDS + i, m->band_m[i]);
	}
	store_bind_real(q, 20, m->ungraded_s);
	sqlite3_bind_int64(q, 21, m->samples);
	sqlite3_bind_int64(q, 22, m->devices);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	return store_changed_one(st, rc, "session close", id);
}

/*
 * Returns 0 and fills *out, 1 if there is no such session (*out zeroed,
 * nothing logged: the admin commands say so themselves), -1 on error.
 */
int
store_session_get(struct store *st, int64_t id, struct store_session *out)
{
	sqlite3_stmt	*q = st->stmt[STORE_SESSION_GET];

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(q, 1, id);
	return store_one(st, q, "session get", store_session_row_v, out,
	    sizeof(*out));
}

int
store_event_put(struct store *st, int64_t session_id, int64_t device_id,
    int64_t t_ms, enum stride_event type)
{
	sqlite3_stmt	*q = st->stmt[STORE_EVENT_PUT];
	int		 rc;

	if (type <= STRIDE_EVENT_NONE || type >= STRIDE_EVENT_COUNT) {
		log_warnx("store: event put: bad type %d", (int)type);
		return -1;
	}
	sqlite3_bind_int64(q, 1, session_id);
	sqlite3_bind_int64(q, 2, device_id);
	sqlite3_bind_int64(q, 3, t_ms);
	sqlite3_bind_int(q, 4, (int)type);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return store_fail(st, "event put");
	return 0;
}

int
store_cues_put(struct store *st, int64_t session_id, int64_t device_id,
    const uint16_t counts[STRIDE_CUE_COUNT])
{
	sqlite3_stmt	*q = st->stmt[STORE_CUES_PUT];
	int		 cue, rc;

	for (cue = STRIDE_CUE_NONE + 1; cue < STRIDE_CUE_COUNT; cue++) {
		sqlite3_bind_int64(q, 1, session_id);
		sqlite3_bind_int64(q, 2, device_id);
		sqlite3_bind_int(q, 3, cue);
		sqlite3_bind_int(q, 4, counts[cue]);
		rc = sqlite3_step(q);
		sqlite3_reset(q);
		if (rc != SQLITE_DONE)
			return store_fail(st, "cues put");
	}
	return 0;
}

int
store_session_cues(struct store *st, int64_t session_id,
    uint32_t totals[STRIDE_CUE_COUNT], int *any)
{
	sqlite3_stmt	*q = st->stmt[STORE_CUES_OF];
	int64_t		 cue, n;
	int		 rc;

	memset(totals, 0, STRIDE_CUE_COUNT * sizeof(totals[0]));
	*any = 0;
	sqlite3_bind_int64(q, 1, session_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		cue = sqlite3_column_int64(q, 0);
		n = sqlite3_column_int64(q, 1);
		/* Rows from the file are checked like any input. */
		if (cue <= STRIDE_CUE_NONE || cue >= STRIDE_CUE_COUNT || n < 0 ||
		    n > UINT32_MAX)
			continue;
		totals[cue] = (uint32_t)n;
		*any = 1;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return store_fail(st, "cues of session");
	return 0;
}

int
store_symptom_put(struct store *st, int64_t runner_id, int64_t device_id,
    int64_t session_id, int64_t t_ms, enum stride_when when,
    enum stride_level level, int score)
{
	sqlite3_stmt	*q = st->stmt[STORE_SYMPTOM_PUT];
	int		 rc;

	if (when <= STRIDE_WHEN_NONE || when >= STRIDE_WHEN_COUNT ||
	    level <= STRIDE_LEVEL_NONE || level >= STRIDE_LEVEL_COUNT ||
	    score < -1 || score > STRIDE_SCORE_MAX) {
		log_warnx("store: symptom put: when %d level %d score %d out "
		    "of range", (int)when, (int)level, score);
		return -1;
	}
	sqlite3_bind_int64(q, 1, runner_id);
	if (device_id > 0)
		sqlite3_bind_int64(q, 2, device_id);
	else
		sqlite3_bind_null(q, 2);	/* typed at the CLI */
	if (session_id > 0)
		sqlite3_bind_int64(q, 3, session_id);
	else
		sqlite3_bind_null(q, 3);
	sqlite3_bind_int64(q, 4, t_ms);
	sqlite3_bind_int(q, 5, (int)when);
	sqlite3_bind_int(q, 6, (int)level);
	if (score >= 0)
		sqlite3_bind_int(q, 7, score);
	else
		sqlite3_bind_null(q, 7);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return store_fail(st, "symptom put");
	return 0;
}

int
store_runners_walk(struct store *st,
    int (*cb)(void *, const struct store_runner *), void *arg)
{
	sqlite3_stmt		*q = st->stmt[STORE_RUNNERS_WALK];
	struct store_runner	 r;
	sqlite3_int64		 devices, sessions;
	int			 rc, ret = 0;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(q, 0);
		r.created_ms = sqlite3_column_int64(q, 2);
		devices = sqlite3_column_int64(q, 3);
		sessions = sqlite3_column_int64(q, 4);
		if (store_copy_id(r.runner, q, 1) == -1 || devices < 0 ||
		    devices > UINT32_MAX || sessions < 0 ||
		    sessions > UINT32_MAX) {
			log_warnx("store: runner %lld: bad row in file, "
			    "skipped", (long long)r.id);
			continue;
		}
		r.devices = (uint32_t)devices;
		r.sessions = (uint32_t)sessions;
		if ((ret = cb(arg, &r)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_fail(st, "runners walk");
	sqlite3_reset(q);
	return ret;
}

int
store_devices_walk(struct store *st, const char *runner,
    int (*cb)(void *, const struct store_device *), void *arg)
{
	sqlite3_stmt		*q = st->stmt[STORE_DEVICES_WALK];
	struct store_device	 d;
	int			 rc, ret = 0;

	if (runner != NULL && store_id_ok("runner", runner) == -1)
		return -1;
	if (runner != NULL)
		sqlite3_bind_text(q, 1, runner, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 1);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (store_device_row(q, &d) == -1) {
			log_warnx("store: device %lld: bad row in file, "
			    "skipped", (long long)sqlite3_column_int64(q, 0));
			continue;
		}
		if ((ret = cb(arg, &d)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_fail(st, "devices walk");
	sqlite3_reset(q);
	return ret;
}

int
store_sessions_walk(struct store *st, const char *runner, int open_only,
    int (*cb)(void *, const struct store_session *), void *arg)
{
	sqlite3_stmt		*q = st->stmt[STORE_SESSIONS_WALK];
	struct store_session	 s;
	int			 rc, ret = 0;

	if (runner != NULL && store_id_ok("runner", runner) == -1)
		return -1;
	if (runner != NULL)
		sqlite3_bind_text(q, 1, runner, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 1);
	sqlite3_bind_int(q, 2, open_only != 0);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (store_session_row(q, &s) == -1) {
			log_warnx("store: session %lld: bad row in file, "
			    "skipped", (long long)sqlite3_column_int64(q, 0));
			continue;
		}
		if ((ret = cb(arg, &s)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_fail(st, "sessions walk");
	sqlite3_reset(q);
	return ret;
}

/* ---- History for the rules, profiles and plans ---- */

/* SQLite's LIMIT is signed; anything above is "no limit" in practice. */
static sqlite3_int64
store_limit(size_t limit)
{
	return limit > (size_t)INT32_MAX ? INT32_MAX : (sqlite3_int64)limit;
}

static int
store_symptom_row(sqlite3_stmt *q, struct store_symptom *y)
{
	sqlite3_int64	when, level;

	memset(y, 0, sizeof(*y));
	y->id = sqlite3_column_int64(q, 0);
	y->runner_id = sqlite3_column_int64(q, 1);
	y->device_id = sqlite3_column_int64(q, 2);	/* NULL reads 0 */
	y->session_id = sqlite3_column_int64(q, 3);
	y->t_ms = sqlite3_column_int64(q, 4);
	when = sqlite3_column_int64(q, 5);
	level = sqlite3_column_int64(q, 6);
	if (when <= STRIDE_WHEN_NONE || when >= STRIDE_WHEN_COUNT ||
	    level <= STRIDE_LEVEL_NONE || level >= STRIDE_LEVEL_COUNT ||
	    y->device_id < 0 || y->session_id < 0)
		return -1;
	y->when = (enum stride_when)when;
	y->level = (enum stride_level)level;
	if (sqlite3_column_type(q, 7) == SQLITE_NULL)
		y->score = -1;
	else {
		sqlite3_int64 sc = sqlite3_column_int64(q, 7);

		if (sc < 0 || sc > STRIDE_SCORE_MAX)
			return -1;
		y->score = (int)sc;
	}
	return 0;
}

int
store_symptoms_walk(struct store *st, int64_t runner_id, int64_t from_ms,
    size_t limit, int (*cb)(void *, const struct store_symptom *), void *arg)
{
	sqlite3_stmt		*q = st->stmt[STORE_SYMPTOMS_OF];
	struct store_symptom	 y;
	int			 rc, ret = 0;

	sqlite3_bind_int64(q, 1, runner_id);
	sqlite3_bind_int64(q, 2, from_ms);
	sqlite3_bind_int64(q, 3, store_limit(limit));
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (store_symptom_row(q, &y) == -1) {
			log_warnx("store: symptom %lld: bad row in file, "
			    "skipped", (long long)sqlite3_column_int64(q, 0));
			continue;
		}
		if ((ret = cb(arg, &y)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_fail(st, "symptoms walk");
	sqlite3_reset(q);
	return ret;
}

int
store_summaries_walk(struct store *st, int64_t runner_id, int64_t from_ms,
    size_t limit, int (*cb)(void *, const struct store_session *), void *arg)
{
	sqlite3_stmt		*q = st->stmt[STORE_SUMMARIES_OF];
	struct store_session	 s;
	int			 rc, ret = 0;

	sqlite3_bind_int64(q, 1, runner_id);
	sqlite3_bind_int64(q, 2, from_ms);
	sqlite3_bind_int64(q, 3, store_limit(limit));
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (store_session_row(q, &s) == -1) {
			log_warnx("store: session %lld: bad row in file, "
			    "skipped", (long long)sqlite3_column_int64(q, 0));
			continue;
		}
		if ((ret = cb(arg, &s)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_fail(st, "summaries walk");
	sqlite3_reset(q);
	return ret;
}

/* One profile column: NULL or out of range reads as unknown. */
static int
store_profile_col(sqlite3_stmt *q, int col, int lo, int hi, int unknown,
    int *out, int64_t runner_id, const char *what)
{
	sqlite3_int64 v;

	*out = unknown;
	if (sqlite3_column_type(q, col) == SQLITE_NULL)
		return 0;
	v = sqlite3_column_int64(q, col);
	if (v < lo || v > hi) {
		log_warnx("store: runner %lld: %s %lld out of range, taken as "
		    "unknown", (long long)runner_id, what, (long long)v);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int
store_profile_get(struct store *st, int64_t runner_id,
    struct store_profile *out)
{
	sqlite3_stmt	*q = st->stmt[STORE_PROFILE_GET];
	int		 rc, level;

	out->height_cm = 0;
	out->cadence_spm = 0;
	out->usual_level = STRIDE_LEVEL_NONE;
	out->usual_score = -1;
	sqlite3_bind_int64(q, 1, runner_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		(void)store_profile_col(q, 0, STORE_HEIGHT_MIN_CM,
		    STORE_HEIGHT_MAX_CM, 0, &out->height_cm, runner_id,
		    "height");
		(void)store_profile_col(q, 1, PLAN_CAD_MIN_SPM,
		    PLAN_CAD_MAX_SPM, 0, &out->cadence_spm, runner_id,
		    "cadence");
		(void)store_profile_col(q, 2, STRIDE_LEVEL_NONE + 1,
		    STRIDE_LEVEL_COUNT - 1, STRIDE_LEVEL_NONE, &level,
		    runner_id, "usual level");
		out->usual_level = (enum stride_level)level;
		(void)store_profile_col(q, 3, 0, STRIDE_SCORE_MAX, -1,
		    &out->usual_score, runner_id, "usual score");
	}
	sqlite3_reset(q);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return store_fail(st, "profile get");
	return 1;
}

static void
store_bind_known(sqlite3_stmt *q, int i, int v, int unknown)
{
	if (v == unknown)
		sqlite3_bind_null(q, i);
	else
		sqlite3_bind_int(q, i, v);
}

int
store_profile_set(struct store *st, int64_t runner_id,
    const struct store_profile *p)
{
	sqlite3_stmt	*q = st->stmt[STORE_PROFILE_SET];
	int		 rc;

	if ((p->height_cm != 0 && (p->height_cm < STORE_HEIGHT_MIN_CM ||
	    p->height_cm > STORE_HEIGHT_MAX_CM)) ||
	    (p->cadence_spm != 0 && (p->cadence_spm < PLAN_CAD_MIN_SPM ||
	    p->cadence_spm > PLAN_CAD_MAX_SPM)) ||
	    p->usual_level < STRIDE_LEVEL_NONE ||
	    p->usual_level >= STRIDE_LEVEL_COUNT ||
	    p->usual_score < -1 || p->usual_score > STRIDE_SCORE_MAX) {
		log_warnx("store: profile set: runner %lld: value out of range",
		    (long long)runner_id);
		return -1;
	}
	sqlite3_bind_int64(q, 1, runner_id);
	store_bind_known(q, 2, p->height_cm, 0);
	store_bind_known(q, 3, p->cadence_spm, 0);
	store_bind_known(q, 4, (int)p->usual_level, STRIDE_LEVEL_NONE);
	store_bind_known(q, 5, p->usual_score, -1);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return store_fail(st, "profile set");
	if (sqlite3_changes(st->db) != 1) {
		log_warnx("store: profile set: no runner %lld",
		    (long long)runner_id);
		return -1;
	}
	return 0;
}

/* Reason codes as stored: [A-Z_] words joined by ",". */
static int
store_reasons_ok(const char *s, size_t len)
{
	size_t i;

	if (len > STORE_REASONS_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if (!((s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' ||
		    s[i] == ','))
			return 0;
	}
	return 1;
}

static int
store_plan_row(sqlite3_stmt *q, struct store_plan *p)
{
	const unsigned char	*r, *j;
	sqlite3_int64		 v;
	int			 rlen, jlen;

	memset(p, 0, sizeof(*p));
	p->runner_id = sqlite3_column_int64(q, 0);
	v = sqlite3_column_int64(q, 1);
	if (v < 1 || v > UINT32_MAX)
		return -1;
	p->version = (uint32_t)v;
	p->issued_ms = sqlite3_column_int64(q, 2);
	r = sqlite3_column_text(q, 3);
	rlen = sqlite3_column_bytes(q, 3);
	j = sqlite3_column_text(q, 4);
	jlen = sqlite3_column_bytes(q, 4);
	/* The JSON itself is checked by plan_decode, as devices do. */
	if (r == NULL || !store_reasons_ok((const char *)r, (size_t)rlen) ||
	    j == NULL || jlen < 1 || jlen > PLAN_JSON_MAX)
		return -1;
	memcpy(p->reasons, r, (size_t)rlen);
	p->reasons[rlen] = '\0';
	memcpy(p->json, j, (size_t)jlen);
	p->json[jlen] = '\0';
	p->len = (size_t)jlen;
	p->seen_sessions = sqlite3_column_int64(q, 5);
	p->seen_symptom = sqlite3_column_int64(q, 6);
	return 0;
}

int
store_plan_put(struct store *st, const struct store_plan *p)
{
	sqlite3_stmt	*q = st->stmt[STORE_PLAN_PUT];
	size_t		 rlen = strnlen(p->reasons, sizeof(p->reasons));
	int		 rc;

	if (p->version < 1 || p->len < 1 || p->len > PLAN_JSON_MAX ||
	    !store_reasons_ok(p->reasons, rlen) ||
	    rlen == sizeof(p->reasons)) {
		log_warnx("store: plan put: runner %lld version %u: bad plan",
		    (long long)p->runner_id, (unsigned)p->version);
		return -1;
	}
	sqlite3_bind_int64(q, 1, p->runner_id);
	sqlite3_bind_int64(q, 2, p->version);
	sqlite3_bind_int64(q, 3, p->issued_ms);
	sqlite3_bind_text(q, 4, p->reasons, (int)rlen, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, p->json, (int)p->len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, p->seen_sessions);
	sqlite3_bind_int64(q, 7, p->seen_symptom);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return store_fail(st, "plan put");
	return 0;
}

static int
store_plan_row_v(sqlite3_stmt *q, void *out)
{
	return store_plan_row(q, out);
}

int
store_plan_latest(struct store *st, int64_t runner_id, struct store_plan *out)
{
	sqlite3_stmt	*q = st->stmt[STORE_PLAN_LATEST];

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(q, 1, runner_id);
	return store_one(st, q, "plan latest", store_plan_row_v, out,
	    sizeof(*out));
}

int
store_plan_seen(struct store *st, int64_t runner_id, uint32_t version,
    int64_t seen_sessions, int64_t seen_symptom)
{
	sqlite3_stmt	*q = st->stmt[STORE_PLAN_SEEN];
	int		 rc;

	sqlite3_bind_int64(q, 1, runner_id);
	sqlite3_bind_int64(q, 2, version);
	sqlite3_bind_int64(q, 3, seen_sessions);
	sqlite3_bind_int64(q, 4, seen_symptom);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return store_fail(st, "plan seen");
	if (sqlite3_changes(st->db) != 1) {
		log_warnx("store: plan seen: no plan %u of runner %lld",
		    (unsigned)version, (long long)runner_id);
		return -1;
	}
	return 0;
}

int
store_plans_walk(struct store *st, int64_t runner_id,
    int (*cb)(void *, const struct store_plan *), void *arg)
{
	sqlite3_stmt		*q = st->stmt[STORE_PLANS_WALK];
	struct store_plan	 p;
	int			 rc, ret = 0;

	sqlite3_bind_int64(q, 1, runner_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (store_plan_row(q, &p) == -1) {
			log_warnx("store: plan %lld of runner %lld: bad row in "
			    "file, skipped", (long long)sqlite3_column_int64(q,
			    1), (long long)runner_id);
			continue;
		}
		if ((ret = cb(arg, &p)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_fail(st, "plans walk");
	sqlite3_reset(q);
	return ret;
}

int
store_runner_marks(struct store *st, int64_t runner_id,
    int64_t *closed_sessions, int64_t *last_symptom)
{
	sqlite3_stmt	*q = st->stmt[STORE_RUNNER_MARKS];
	int		 rc;

	sqlite3_bind_int64(q, 1, runner_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*closed_sessions = sqlite3_column_int64(q, 0);
		*last_symptom = sqlite3_column_int64(q, 1);
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? 0 : store_fail(st, "runner marks");
}

int
store_symptom_last_id(struct store *st, int64_t *id)
{
	return store_int64(st, STORE_SYMPTOM_LAST, "symptom last id", id);
}

/* Runner rows (id, name) of q, to cb. */
static int
store_runner_ids(struct store *st, sqlite3_stmt *q, const char *op,
    int (*cb)(void *, int64_t, const char *), void *arg)
{
	char	name[STRIDE_ID_MAX + 1];
	int	rc, ret = 0;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (store_copy_id(name, q, 1) == -1) {
			log_warnx("store: runner %lld: bad row in file, "
			    "skipped", (long long)sqlite3_column_int64(q, 0));
			continue;
		}
		if ((ret = cb(arg, sqlite3_column_int64(q, 0), name)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_fail(st, op);
	sqlite3_reset(q);
	return ret;
}

int
store_symptom_runners_walk(struct store *st, int64_t after_id,
    int (*cb)(void *, int64_t, const char *), void *arg)
{
	sqlite3_stmt *q = st->stmt[STORE_SYMPTOM_RUNNERS];

	sqlite3_bind_int64(q, 1, after_id);
	return store_runner_ids(st, q, "symptom runners", cb, arg);
}

int
store_plans_stale_walk(struct store *st,
    int (*cb)(void *, int64_t, const char *), void *arg)
{
	return store_runner_ids(st, st->stmt[STORE_PLANS_STALE],
	    "stale plans", cb, arg);
}

/* ---- History import (design note 8) ---- */

int
store_sessions_near(struct store *st, int64_t runner_id, int64_t from_ms,
    int64_t to_ms, int (*cb)(void *, const struct store_session *), void *arg)
{
	sqlite3_stmt		*q = st->stmt[STORE_SESSIONS_NEAR];
	struct store_session	 s;
	int			 rc, ret = 0;

	sqlite3_bind_int64(q, 1, runner_id);
	sqlite3_bind_int64(q, 2, from_ms);
	sqlite3_bind_int64(q, 3, to_ms);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (store_session_row(q, &s) == -1) {
			log_warnx("store: session %lld: bad row in file, "
			    "skipped", (long long)sqlite3_column_int64(q, 0));
			continue;
		}
		if ((ret = cb(arg, &s)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_fail(st, "sessions near");
	sqlite3_reset(q);
	return ret;
}

int
store_session_imported(struct store *st, int64_t id)
{
	sqlite3_stmt	*q = st->stmt[STORE_SESSION_IMPORTED];
	int		 rc;

	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	return store_changed_one(st, rc, "session imported", id);
}

int
store_import_put(struct store *st, const struct store_import *im,
    int64_t *id)
{
	sqlite3_stmt	*q = st->stmt[STORE_IMPORT_PUT];

	sqlite3_bind_int64(q, 1, im->runner_id);
	sqlite3_bind_int64(q, 2, im->t_ms);
	sqlite3_bind_int64(q, 3, im->files);
	sqlite3_bind_int64(q, 4, im->added);
	sqlite3_bind_int64(q, 5, im->skipped);
	sqlite3_bind_int64(q, 6, im->refused);
	return store_insert(st, q, "import put", id);
}

int
store_import_last_id(struct store *st, int64_t *id)
{
	return store_int64(st, STORE_IMPORT_LAST, "import last id", id);
}

int
store_import_runners_walk(struct store *st, int64_t after_id,
    int (*cb)(void *, int64_t, const char *), void *arg)
{
	sqlite3_stmt *q = st->stmt[STORE_IMPORT_RUNNERS];

	sqlite3_bind_int64(q, 1, after_id);
	return store_runner_ids(st, q, "import runners", cb, arg);
}

/* A row of STORE_KEY_COLS into k: 0, or -1 for a bad row. */
static int
store_key_row(sqlite3_stmt *q, struct store_device_key *k)
{
	sqlite3_int64	revoked;

	memset(k, 0, sizeof(*k));
	k->device_id = sqlite3_column_int64(q, 0);
	if (store_copy_id(k->runner, q, 1) == -1 ||
	    store_copy_id(k->device, q, 2) == -1)
		return -1;
	if (sqlite3_column_type(q, 3) == SQLITE_NULL) {
		k->state = STORE_KEY_NONE;
		return 0;
	}
	k->id = sqlite3_column_int64(q, 3);
	if (sqlite3_column_type(q, 4) != SQLITE_BLOB ||
	    sqlite3_column_bytes(q, 4) != STORE_KEY_BYTES ||
	    sqlite3_column_type(q, 5) != SQLITE_BLOB ||
	    sqlite3_column_bytes(q, 5) != STORE_KEY_BYTES)
		return -1;
	memcpy(k->pk, sqlite3_column_blob(q, 4), STORE_KEY_BYTES);
	memcpy(k->fp, sqlite3_column_blob(q, 5), STORE_KEY_BYTES);
	k->added_ms = sqlite3_column_int64(q, 6);
	if (sqlite3_column_type(q, 7) == SQLITE_NULL)
		k->state = STORE_KEY_ACTIVE;
	else {
		revoked = sqlite3_column_int64(q, 7);
		if (revoked < 1)
			return -1;
		k->revoked_ms = revoked;
		k->state = STORE_KEY_REVOKED;
	}
	return 0;
}

static int
store_key_row_v(sqlite3_stmt *q, void *out)
{
	return store_key_row(q, out);
}

/* One key row of q: 0 filled, 1 none, -1 error or bad row. */
static int
store_key_one(struct store *st, sqlite3_stmt *q, const char *op,
    struct store_device_key *out)
{
	return store_one(st, q, op, store_key_row_v, out, sizeof(*out));
}

int
store_device_key_active(struct store *st, int64_t device_id,
    struct store_device_key *out)
{
	sqlite3_stmt	*q = st->stmt[STORE_DKEY_ACTIVE];

	sqlite3_bind_int64(q, 1, device_id);
	return store_key_one(st, q, "device key get", out);
}

int
store_device_key_by_fp(struct store *st,
    const uint8_t fp[STORE_KEY_BYTES], struct store_device_key *out)
{
	sqlite3_stmt	*q = st->stmt[STORE_DKEY_BY_FP];

	sqlite3_bind_blob(q, 1, fp, STORE_KEY_BYTES, SQLITE_STATIC);
	return store_key_one(st, q, "device key by fingerprint", out);
}

int
store_device_key_revoke(struct store *st, int64_t device_id, int64_t now_ms)
{
	sqlite3_stmt	*q = st->stmt[STORE_DKEY_REVOKE];
	int		 rc;

	sqlite3_bind_int64(q, 1, device_id);
	/* revoked_ms >= 1: 0 would read back as a bad row. */
	sqlite3_bind_int64(q, 2, now_ms >= 1 ? now_ms : 1);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return store_fail(st, "device key revoke");
	return sqlite3_changes(st->db) > 0 ? 0 : 1;
}

int
store_device_key_put(struct store *st, int64_t device_id,
    const uint8_t pk[STORE_KEY_BYTES], const uint8_t fp[STORE_KEY_BYTES],
    int64_t now_ms)
{
	sqlite3_stmt	*q = st->stmt[STORE_DKEY_PUT];
	int		 rc;

	if (store_device_key_revoke(st, device_id, now_ms) == -1)
		return -1;
	sqlite3_bind_int64(q, 1, device_id);
	sqlite3_bind_blob(q, 2, pk, STORE_KEY_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(q, 3, fp, STORE_KEY_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, now_ms);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return store_fail(st, "device key put");
	return 0;
}

int
store_device_keys_walk(struct store *st, const char *runner,
    int (*cb)(void *, const struct store_device_key *), void *arg)
{
	sqlite3_stmt		*q = st->stmt[STORE_DKEYS_WALK];
	struct store_device_key	 k;
	int			 rc, ret = 0;

	if (runner != NULL && store_id_ok("runner", runner) == -1)
		return -1;
	if (runner != NULL)
		sqlite3_bind_text(q, 1, runner, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 1);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (store_key_row(q, &k) == -1) {
			log_warnx("store: device %lld: bad key row in file, "
			    "skipped", (long long)sqlite3_column_int64(q, 0));
			continue;
		}
		if ((ret = cb(arg, &k)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_fail(st, "device keys walk");
	sqlite3_reset(q);
	return ret;
}

/* ---- Deleting a runner (design note 10) ---- */

int
store_runner_counts(struct store *st, int64_t runner_id,
    struct store_runner_counts *out)
{
	sqlite3_stmt	*q = st->stmt[STORE_RUNNER_COUNTS];
	int		 rc;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(q, 1, runner_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		out->devices = sqlite3_column_int64(q, 0);
		out->sessions = sqlite3_column_int64(q, 1);
		out->reports = sqlite3_column_int64(q, 2);
		out->plans = sqlite3_column_int64(q, 3);
		out->imports = sqlite3_column_int64(q, 4);
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? 0 : store_fail(st, "runner counts");
}

int
store_runner_delete(struct store *st, int64_t runner_id)
{
	/* Children before parents: every foreign key is satisfied after
	 * each statement (they are immediate). */
	static const enum store_stmt order[] = {
		STORE_DEL_CHUNKS, STORE_DEL_EVENTS, STORE_DEL_CUES,
		STORE_DEL_SYMPTOMS, STORE_DEL_PLANS, STORE_DEL_IMPORTS,
		STORE_DEL_DKEYS, STORE_DEL_DPLANS, STORE_DEL_SESSIONS,
		STORE_DEL_DEVICES,
		STORE_DEL_RUNNER
	};
	size_t	i;
	int	gone = 0;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		sqlite3_bind_int64(st->stmt[order[i]], 1, runner_id);
		if (store_exec_stmt(st, order[i], "runner delete") == -1)
			return -1;
		if (order[i] == STORE_DEL_RUNNER)
			gone = sqlite3_changes(st->db) == 1;
	}
	return gone ? 0 : 1;
}

int
store_deletion_put(struct store *st, int64_t runner_id, const char *runner,
    int64_t now_ms, int64_t *id)
{
	sqlite3_stmt	*q = st->stmt[STORE_DELETION_PUT];

	if (store_id_ok("runner", runner) == -1)
		return -1;
	sqlite3_bind_int64(q, 1, runner_id);
	sqlite3_bind_text(q, 2, runner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, now_ms);
	return store_insert(st, q, "deletion put", id);
}

int
store_deletion_last_id(struct store *st, int64_t *id)
{
	return store_int64(st, STORE_DELETION_LAST, "deletion last id", id);
}

int
store_deletions_pending(struct store *st, struct store_deletion *out,
    size_t cap, size_t *n)
{
	sqlite3_stmt	*q = st->stmt[STORE_DELETIONS_PENDING];
	int		 rc;

	*n = 0;
	if (cap == 0)
		return 0;
	sqlite3_bind_int64(q, 1, cap > INT_MAX ? INT_MAX : (int64_t)cap);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && *n < cap) {
		struct store_deletion *d = &out[*n];

		memset(d, 0, sizeof(*d));
		d->id = sqlite3_column_int64(q, 0);
		d->runner_id = sqlite3_column_int64(q, 1);
		d->requested_ms = sqlite3_column_int64(q, 3);
		if (store_copy_id(d->runner, q, 2) == -1) {
			/* Nothing to delete by a bad name: the hub marks
			 * it done like a request for a runner gone. */
			log_warnx("store: deletion %lld: bad row in file",
			    (long long)d->id);
			d->runner[0] = '\0';
		}
		(*n)++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqlite3_reset(q);
		return store_fail(st, "deletions pending");
	}
	sqlite3_reset(q);
	return 0;
}

int
store_deletion_done(struct store *st, int64_t id, int64_t now_ms)
{
	sqlite3_stmt	*q = st->stmt[STORE_DELETION_DONE];
	int		 rc;

	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, now_ms);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return store_fail(st, "deletion done");
	return 0;
}

/* ---- Sealed plans and key rotations (design note 11) ---- */

/* A row of STORE_DPLAN_COLS (from column off) into p: 0, or -1 if bad. */
static int
store_dplan_row(sqlite3_stmt *q, int off, struct store_device_plan *p)
{
	sqlite3_int64	v, pv;

	p->device_id = sqlite3_column_int64(q, off);
	v = sqlite3_column_int64(q, off + 1);
	pv = sqlite3_column_int64(q, off + 2);
	p->issued_ms = sqlite3_column_int64(q, off + 3);
	p->expires_ms = sqlite3_column_int64(q, off + 4);
	if (sqlite3_column_type(q, off + 1) != SQLITE_INTEGER || v < 1 ||
	    pv < 1 || pv > UINT32_MAX || p->issued_ms < 0 ||
	    p->expires_ms <= p->issued_ms)
		return -1;
	p->version = (uint64_t)v;
	p->plan_version = (uint32_t)pv;
	return 0;
}

static int
store_dplan_row_v(sqlite3_stmt *q, void *out)
{
	memset(out, 0, sizeof(struct store_device_plan));
	return store_dplan_row(q, 0, out);
}

int
store_device_plan_get(struct store *st, int64_t device_id,
    struct store_device_plan *out)
{
	sqlite3_stmt	*q = st->stmt[STORE_DPLAN_GET];

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(q, 1, device_id);
	return store_one(st, q, "device plan get", store_dplan_row_v, out,
	    sizeof(*out));
}

int
store_device_plan_next(struct store *st, int64_t device_id,
    uint32_t plan_version, int64_t issued_ms, int64_t expires_ms,
    uint64_t *version)
{
	sqlite3_stmt	*q = st->stmt[STORE_DPLAN_NEXT];
	sqlite3_int64	 v = 0;
	int		 rc, type = SQLITE_NULL;

	if (plan_version < 1 || issued_ms < 0 || expires_ms <= issued_ms) {
		log_warnx("store: device plan next: device %lld: bad times or "
		    "plan version", (long long)device_id);
		return -1;
	}
	sqlite3_bind_int64(q, 1, device_id);
	sqlite3_bind_int64(q, 2, plan_version);
	sqlite3_bind_int64(q, 3, issued_ms);
	sqlite3_bind_int64(q, 4, expires_ms);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		type = sqlite3_column_type(q, 0);
		v = sqlite3_column_int64(q, 0);
		rc = sqlite3_step(q);	/* finish the statement */
	}
	if (rc != SQLITE_DONE) {
		sqlite3_reset(q);
		return store_fail(st, "device plan next");
	}
	sqlite3_reset(q);
	/* No row: the stored version could not grow (a bad row, or the
	 * end of the range). Never reuse a version. */
	if (type != SQLITE_INTEGER || v < 1) {
		log_warnx("store: device plan next: device %lld: the stored "
		    "version cannot grow", (long long)device_id);
		return -1;
	}
	*version = (uint64_t)v;
	return 0;
}

int
store_device_plans_due_walk(struct store *st, int64_t before_ms,
    int (*cb)(void *, const struct store_plan_due *), void *arg)
{
	sqlite3_stmt		*q = st->stmt[STORE_DPLANS_DUE];
	struct store_plan_due	 d;
	int			 rc, ret = 0;

	sqlite3_bind_int64(q, 1, before_ms);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&d, 0, sizeof(d));
		d.runner_id = sqlite3_column_int64(q, 1);
		/* Columns 4..7 are a version row less its device id:
		 * read from 3, then set the id. */
		if (store_copy_id(d.runner, q, 2) == -1 ||
		    store_copy_id(d.device, q, 3) == -1 ||
		    (sqlite3_column_type(q, 4) != SQLITE_NULL &&
		    store_dplan_row(q, 3, &d.last) == -1)) {
			/* A bad version row is resealed from scratch:
			 * store_device_plan_next refuses it, logged. */
			log_warnx("store: device %lld: bad row in file, "
			    "skipped", (long long)sqlite3_column_int64(q, 0));
			continue;
		}
		d.last.device_id = sqlite3_column_int64(q, 0);
		if ((ret = cb(arg, &d)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_fail(st, "device plans due");
	sqlite3_reset(q);
	return ret;
}

static uint64_t
store_be64(const uint8_t *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* An announcement and its columns agree (layout: store.h, crypto.h). */
static int
store_rotation_ok(const struct store_rotation *r)
{
	return memcmp(r->ann, "STRDROT1", 8) == 0 &&
	    memcmp(r->ann + 8, r->old_key_id, STORE_KEY_ID_BYTES) == 0 &&
	    memcmp(r->ann + 16, r->sign_pk, STORE_KEY_BYTES) == 0 &&
	    memcmp(r->ann + 48, r->kx_pk, STORE_KEY_BYTES) == 0 &&
	    r->issued_ms >= 0 && store_be64(r->ann + 80) ==
	    (uint64_t)r->issued_ms;
}

/* A blob column of exactly len bytes into dst, or -1. */
static int
store_blob(sqlite3_stmt *q, int col, void *dst, size_t len)
{
	if (sqlite3_column_type(q, col) != SQLITE_BLOB ||
	    sqlite3_column_bytes(q, col) != (int)len)
		return -1;
	memcpy(dst, sqlite3_column_blob(q, col), len);
	return 0;
}

static int
store_rotation_row(sqlite3_stmt *q, struct store_rotation *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(q, 0);
	r->issued_ms = sqlite3_column_int64(q, 1);
	if (store_blob(q, 2, r->old_key_id, sizeof(r->old_key_id)) == -1 ||
	    store_blob(q, 3, r->sign_pk, sizeof(r->sign_pk)) == -1 ||
	    store_blob(q, 4, r->kx_pk, sizeof(r->kx_pk)) == -1 ||
	    store_blob(q, 5, r->ann, sizeof(r->ann)) == -1 ||
	    !store_rotation_ok(r))
		return -1;
	return 0;
}

int
store_rotation_put(struct store *st, const struct store_rotation *r,
    int64_t *id)
{
	sqlite3_stmt	*q = st->stmt[STORE_ROT_PUT];

	if (!store_rotation_ok(r)) {
		log_warnx("store: rotation put: announcement and fields "
		    "differ");
		return -1;
	}
	sqlite3_bind_int64(q, 1, r->issued_ms);
	sqlite3_bind_blob(q, 2, r->old_key_id, sizeof(r->old_key_id),
	    SQLITE_STATIC);
	sqlite3_bind_blob(q, 3, r->sign_pk, sizeof(r->sign_pk),
	    SQLITE_STATIC);
	sqlite3_bind_blob(q, 4, r->kx_pk, sizeof(r->kx_pk), SQLITE_STATIC);
	sqlite3_bind_blob(q, 5, r->ann, sizeof(r->ann), SQLITE_STATIC);
	return store_insert(st, q, "rotation put", id);
}

int
store_rotation_last_id(struct store *st, int64_t *id)
{
	return store_int64(st, STORE_ROT_LAST, "rotation last id", id);
}

struct store_rot_last {
	struct store_rotation	*out;
	int			 found;
};

static int
store_rot_last_cb(void *arg, const struct store_rotation *r)
{
	struct store_rot_last *l = arg;

	*l->out = *r;
	l->found = 1;
	return 0;
}

int
store_rotation_last(struct store *st, struct store_rotation *out)
{
	struct store_rot_last l = { out, 0 };

	memset(out, 0, sizeof(*out));
	if (store_rotations_walk(st, 1, store_rot_last_cb, &l) != 0)
		return -1;
	return l.found ? 0 : 1;
}

int
store_rotations_walk(struct store *st, size_t limit,
    int (*cb)(void *, const struct store_rotation *), void *arg)
{
	sqlite3_stmt		*q = st->stmt[STORE_ROTS_WALK];
	struct store_rotation	 r;
	int			 rc, ret = 0;

	sqlite3_bind_int64(q, 1, limit == 0 ? -1 : store_limit(limit));
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (store_rotation_row(q, &r) == -1) {
			log_warnx("store: rotation %lld: bad row in file",
			    (long long)sqlite3_column_int64(q, 0));
			ret = -1;
			break;
		}
		if ((ret = cb(arg, &r)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_fail(st, "rotations walk");
	sqlite3_reset(q);
	return ret;
}
