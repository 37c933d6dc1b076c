/*
 * cli.h - the admin commands: `stridehub [options] <command> [args]`.
 *
 * Each command opens its own store handle (WAL: it reads the last committed
 * state while the hub writes), read-only except for `report` and `profile`,
 * which write one row, and `import`, one short transaction per file (all
 * three refuse a store file that does not exist), and prints to stdout.
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
 * Times are UTC, ISO 8601 ("2024-05-01T07:00:00Z"), durations h:mm:ss.
 *
 * Exit status: 0 done, 1 failed (no such session or runner, store error;
 * the reason on stderr), 2 usage error (usage on stderr).
 */
#ifndef HUB_CLI_H
#define HUB_CLI_H

#include <stdio.h>

/*
 * Run the command in argv[0] with its arguments argv[1..argc) on the store
 * at db_path. Returns the exit status.
 */
int	cli_main(const char *db_path, int argc, char **argv);

/* The list of commands with their arguments, one per line. */
void	cli_usage(FILE *fp);

#endif
