/**
 * The client's `--help` text: its flags, its commands and what it protects.
 *
 * @module
 */

import { DEFAULT_MAX_FILE_BYTES } from "./attachments.ts";
import { DEFAULT_STATE_DIR } from "./client_state.ts";
import { COMMANDS_HELP } from "./commands.ts";
import { DEFAULT_KMS_URL, DEFAULT_RELAY_URL } from "./config.ts";

/** The `--help` text. */
export const HELP_TEXT = `QSTCS soldier's chat client

Usage: deno task client [options]        (or: qstcs-client [options])

  --device ID        this device, e.g. Soldier_Alpha
  --peer ID          the device to talk to, e.g. Soldier_Bravo
  --kms URL          Key Management Service (default ${DEFAULT_KMS_URL})
  --relay URL        chat relay (default ${DEFAULT_RELAY_URL}); URL1,URL2,… for
                     several: on to the next when one stops answering
  --credentials FILE this device's credentials from the KMS host (made by:
                     deno task kms:enroll DEVICE --credentials credentials/DEVICE.json);
                     gives --device too
  --token TOKEN      this device's KMS token instead (or env QSTCS_KMS_TOKEN)
  --state DIR        where the device's identity key and pinned keys live
                     (default ${DEFAULT_STATE_DIR}/, one folder per device, mode 0700)
  --max-file-mib N   largest attachment sent or received (default ${
  DEFAULT_MAX_FILE_BYTES / (1024 * 1024)
})
  --bell WHEN        ring the terminal bell: all (each message and alarm,
                     the default), alerts (the link RED, tampering), off
  --room NAME[:N]    join squad room NAME at start (created with N seats,
                     2 to 16, if it is new); chat goes to it
  --recorder CMD     voice-note recorder, with {file} and {seconds}
                     (default: arecord, rec or sox, the first on PATH)
  --help             this text

Settings not given as flags are asked for at start (read line by line from
stdin, so answers can be piped). Type a line and press Enter to send it.

${COMMANDS_HELP}

How it works: the client fetches a key K from the KMS, wrapped to a fresh
ML-KEM-768 key pair so that K never crosses the network in clear. Under K it
runs an ML-KEM-768 exchange with the peer through the relay, and encrypts
every message with AES-256-GCM under H = HKDF(K || ML-KEM secret). Every
line gets a relay ack (delivered, queued, dropped) and stays queued until
the peer's encrypted receipt arrives: lines typed while disconnected or
while the link is RED are sent after reconnection and re-key, exactly once.
The client polls the KMS's link status every 3 s: while it is RED chat is
suspended; when GREEN again the client re-keys and resumes. Ctrl-D (end of
input) waits up to 10 s for receipts, then exits.

Identity: at first start the client makes the device's Ed25519 identity key
pair (WebCrypto) in --state; the KMS certifies its public key in a relay
ticket, which the client presents to the relay and in every handshake,
renewed before it expires. kem_offer and kem_reply are signed with the
identity key; the peer checks the ticket against the KMS's ticket key and
the signature, and pins the peer's key on first use (as SSH and Signal do).
A changed key stops chat with that peer until /trust; /verify prints the
safety number to compare by voice.

What it protects against: a relay (or anyone on the network) cannot read,
alter, replay or forge messages, nor take this device's name at a relay
that requires tickets. A KMS and a relay that cooperate cannot swap the
ML-KEM keys unnoticed: the signatures fail. A KMS that only watches key
delivery and relayed traffic cannot read messages, since it never learns
the ML-KEM secret.
What it does not protect against: a KMS that certifies an impostor's key
for a device this client has never talked to, together with the relay
(trust on first use: compare /verify once by voice to close that gap); a
KMS that issues no tickets (an older one: the client says so, and the
handshake is authenticated only by K); a compromised laptop. Traffic
analysis (who talks to whom, when, how much) is visible to the relay.
Authentication is classical (Ed25519); the key exchange is hybrid
post-quantum (ML-KEM-768 with the QKD key).

Files: reads attachments under the working directory and --credentials;
writes downloads/ and the state folder.
Environment: NO_COLOR disables colours; output is plain when stdout is not
a terminal.`;
