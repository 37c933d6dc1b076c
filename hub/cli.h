/*
 * cli.h - the admin commands: `stridehub [options] <command> [args]`.
 *
 * Each command opens its own store handle (WAL: it reads the last committed
 * state while the hub writes), read-only except for `report` and `profile`,
 * which write one row, `device add`, `device revoke`, `key rotate` and
 * `runner delete`, one short transaction, and `import`, one short transaction per file (all of these
 * refuse a store file that does not exist), and prints to stdout. `key
 * init`, `key show` and `help` do not open the store.
 * Commands are rows of one table in cli.c ({name, min args, max args,
 * usage, help, flags, function}); a command of two words ("device add") is
 * a row too.
 *
 * Output is for people and for scripts, and kept stable:
 * - Tables (runners, devices, sessions, the tables in `session`) are one
 *   header line of UPPERCASE column names, then one line per row, columns
 *   separated by spaces; no value contains a space; "-" means unknown.
 * - `session <id>` prints "key value..." lines (key: one lowercase word;
 *   e.g. "distance 8.52 km", "pace 5:03 min/km", "start
 *   2024-05-01T07:00:00Z"), a blank line, the gradient band table, a blank
 *   line, the device table.
 * - `export <id> --csv`: the header line
 *   device,role,t_ms,time,cad_spm,spd_mps,grade_pct,alt_m,dist_m
 *   then one line per stored sample (device by device, each by time),
 *   absent fields empty, time as ISO 8601 UTC with milliseconds.
 * - `export <id> --json`: one JSON object on one line:
 *   {"id":..,"runner":"..","open":..,"start_ms":..,"last_t_ms":..,
 *    "stop_ms":..|null,"summary":{..}|null,"devices":[{"id":..,
 *    "device":"..","role":".."|null,"samples":[{"t":..,"cad":..,...}]}]}
 *   with samples in the wire's keys and units.
 * - `plan <runner>`: "key value..." lines (runner, plan, issued, direction,
 *   phase, distance, duration, speed_cap, pace_limit, grade_cap, cadence,
 *   rest_days, rest_until, stop, text), then one "reason CODE sentence"
 *   line per reason, the decision first. `plan <runner> --json`: the
 *   stored plan, the exact bytes devices got, on one line.
 * - `plans <runner>`: a table, one row per version, oldest first; REASONS
 *   is the codes joined by ",".
 * - `report <runner> <level> [--score N] [--during]`: one line "report
 *   <runner> <when> <level>[ score N]". The hub is not contacted: it finds
 *   the report in the store within its next tick (hub/plan.h).
 * - `profile <runner> [...]`: sets what is given, then "key value" lines
 *   (runner, height, cadence, usual, usual_score; "-" unknown).
 * - `import <runner> <file-or-folder>...` (hub/import.h): one line per
 *   activity file, "[k/n] PATH: " then one of
 *     "D km, H:MM:SS, C spm, START: session ID"   (added; C "-" if none;
 *                                                   H:MM:SS moving time)
 *     "START: the same run as session ID (imported|live): skipped"
 *     "refused: REASON"
 *     "store error: import stopped"                (then exit 1)
 *   then "import <runner>: N files, A added, S skipped (same run), R
 *   refused[; I other files ignored]", then, if the profile had no usual
 *   cadence and flat runs gave one, "profile <runner>: usual cadence C spm
 *   (median of K flat runs)", then, if anything was added, a "plan
 *   <runner>: ..." line. The runner is created if new. Exit 1 if any file
 *   was refused (the others are imported all the same).
 * - `session <id>` has a "source live|import" line.
 * - Keys and enrolment (issue 4; docs/security.md "Keys in practice").
 *   The hub's identity is the file hub.key in the key directory
 *   (config_key_dir: `key_dir`, default the db's directory + "/keys").
 *   Fingerprints are crypto_fp_text's "ABCD-EFGH-IJKL-MNOP"; no secret is
 *   ever printed.
 *   `key init [--passphrase-file F]` (no store needed): makes the
 *   directory (0700) if missing and the identity (0600, atomic), never
 *   over an existing one (exit 1); F is a private file whose first line
 *   is the passphrase. Prints "file PATH", "passphrase yes|no", then the
 *   hub lines: "hub_key stride-hub-pk1:...", "hub_sign_fp FP",
 *   "hub_kx_fp FP". `key show`: "file PATH" and the hub lines.
 *   `device add <runner> <device> <stride-dev-pk1:...> [--replace]`:
 *   a bad id or key text is a usage error (exit 2, the reason on stderr);
 *   no hub key yet, a device that already has another active key (without
 *   --replace), or a key enrolled before (for any device, revoked or not)
 *   exit 1. The runner and device are created if new. Prints "status
 *   added|replaced|unchanged", "runner R", "device D", "prefix P", "topic
 *   P/v1/R/D", "device_key stride-dev-pk1:...", "device_fp FP", then the
 *   hub lines: what the device needs, and what the owner compares on it.
 *   `device add --from FILE [--replace]`: many devices at once (e.g.
 *   10,000 for a benchmark): FILE has one "<runner> <device>
 *   <stride-dev-pk1:...>" per line (spaces or tabs between; blank lines
 *   and lines starting with '#' skipped; lines of at most 256 bytes), each
 *   enrolled as above, all in one transaction: the first bad line (its
 *   number on stderr as "FILE:N: reason") refuses the whole file, nothing
 *   is enrolled, exit 1. Prints "file FILE", "devices N", "added N",
 *   "replaced N", "unchanged N", "prefix P", then the hub lines.
 *   `key rotate [--passphrase-file F]` (hub/hubkey.h): a new signing key,
 *   announced signed by the old and the new, written as hub.key.next,
 *   recorded in the store, renamed over hub.key; the running hub follows
 *   within a second. The new key file has the current one's protection
 *   (F is needed if it has a passphrase). Refused (exit 1) if hub.key is
 *   not the store's newest key or a hub.key.next is left over. Prints
 *   "file PATH", "rotation ID", "passphrase yes|no", "old_sign_fp FP",
 *   "new_sign_fp FP", then the hub lines of the new key (devices need
 *   nothing: they follow the announcement).
 *   `device revoke <runner> <device>`: "runner", "device", "device_fp",
 *   "added TIME", "revoked TIME"; exit 1 if there is no active key.
 *   `device keys [runner]`: a table RUNNER DEVICE FINGERPRINT STATE ADDED
 *   REVOKED, one row per device with its newest key, STATE
 *   active|revoked|none.
 * - `runner delete <runner> [--yes]` (issue 5): "runner R", then "devices
 *   N", "sessions N", "reports N", "plans N", "imports N" (what the runner
 *   has); without --yes "status not-deleted" and exit 1 (nothing changes;
 *   the reason on stderr); with --yes "status requested", "request ID"
 *   and one sentence line. Only a request is written (store.h): the hub
 *   deletes the runner, their retained topics and their HA device at its
 *   next tick, or at its next start. No such runner: exit 1; an argument
 *   other than --yes: exit 2.
 * Times are UTC, ISO 8601 ("2024-05-01T07:00:00Z"), durations h:mm:ss.
 *
 * Exit status: 0 done, 1 failed (no such session or runner, store error;
 * the reason on stderr), 2 usage error (usage on stderr).
 */
#ifndef HUB_CLI_H
#define HUB_CLI_H

#include <stdio.h>

/* What the commands need of the hub's settings (strings borrowed). */
struct cli_opts {
	const char	*db_path;	/* the store file */
	const char	*key_dir;	/* NULL or "": config_key_dir's default */
	const char	*prefix;	/* NULL or "": STRIDE_PREFIX_DEFAULT */
};

/*
 * Run the command in argv[0] with its arguments argv[1..argc) with the
 * settings in o. Returns the exit status.
 */
int	cli_run(const struct cli_opts *o, int argc, char **argv);

/* cli_run with db_path and the default key directory and prefix. */
int	cli_main(const char *db_path, int argc, char **argv);

/* The list of commands with their arguments, one per line. */
void	cli_usage(FILE *fp);

#endif
