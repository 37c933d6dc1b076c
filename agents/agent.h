/*
 * agent.h - the agent's commands: stream a run (synthetic, or a replay of
 * a CSV file or of a recorded FIT/TCX/GPX run) to the hub, send one
 * symptom report, send one event.
 *
 * Owns the loop: the epoch for this start (state.c), the link to the
 * broker (link.c), the source of samples (gen.c, csvsrc.c, filesrc.c),
 * pacing in sample time with absolute sleeps, batching, and the bounded
 * wait for the hub's acks at the end. main.c only turns flags into this config.
 *
 * Security (issue 4, docs/protocol.md): keygen and enrol make the device's
 * key and its trust in the hub (ident.c); run, report and event refuse to
 * start without both, seal everything they send (link.c) and accept a
 * plan, heartbeat or hub key rotation only as crypto.h says (ident.c).
 */
#ifndef AGENT_AGENT_H
#define AGENT_AGENT_H

#include <stdint.h>
#include "gen.h"
#include "stride/protocol.h"

#define AGENT_BATCH_DEFAULT	5	/* samples per telemetry message */
#define AGENT_ACK_TIMEOUT_S	10	/* wait for the hub's acks at the end */
#define AGENT_FLUSH_MS		5000	/* --ack-timeout-s 0: wait for the broker */
#define AGENT_CONNECT_WAIT_MS	5000	/* before a run starts without broker */

enum agent_cmd {
	AGENT_CMD_RUN,
	AGENT_CMD_REPORT,
	AGENT_CMD_EVENT,
	AGENT_CMD_KEYGEN,	/* make DIR/<device>.key */
	AGENT_CMD_ENROL		/* trust a hub: DIR/<device>.trust */
};

enum agent_source {
	AGENT_SRC_SYNTHETIC,
	AGENT_SRC_CSV,
	AGENT_SRC_FILE		/* a recorded run: FIT, TCX or GPX */
};

struct agent_config {
	const char	*runner;
	const char	*device;
	enum stride_role role;
	const char	*host;
	int		 port;
	const char	*prefix;
	const char	*state_dir;	/* required: key, trust, plan, epoch */
	const char	*passphrase_file;	/* the device key's; or NULL */
	unsigned	 batch;		/* 1..STRIDE_SAMPLES_MAX */
	double		 speed;		/* sample time runs this much faster */
	int		 quiet;
	int		 ack_timeout_s;	/* 0: wait for the broker, not the hub */
	enum agent_cmd	 cmd;

	/* run */
	enum agent_source src;
	struct gen_params gen;		/* start_ms 0: now */
	const char	*csv_path;
	const char	*file_path;	/* AGENT_SRC_FILE */
	int64_t		 start_ms;	/* a replay's first sample; 0: now */

	/* report */
	enum stride_when when;
	enum stride_level level;
	int		 score;		/* -1: not given */

	/* event */
	enum stride_event event;

	/* keygen, enrol */
	int		 replace;	/* --replace: overwrite the file */
	const char	*hub_key;	/* enrol: "stride-hub-pk1:..." */
};

/* Run the configured command. Returns the process exit status: 0 if
 * everything sent was acknowledged (see ack_timeout_s), or keygen/enrol
 * wrote their file, else 1. */
int	agent_main(const struct agent_config *);

#endif
