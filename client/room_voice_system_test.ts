import { assertEquals } from "@std/assert";
import { PROJECT_ROOT } from "../common/service_process.ts";
import {
  startStack,
  stopClients,
  type TestClientProcess,
  uniqueDevice,
  WAIT_MS,
} from "./_test_client.ts";
import { startMember, startRoom, waitForEpoch } from "./_test_room.ts";
import { readWav } from "./voice.ts";

const ROOM = "squad1";
// Debian's sox writes a generated tone: no microphone needed.
const RECORDER = "sox -n -r 8000 -c 1 {file} synth {seconds} sine 440";

// The `client` permission set runs no programs; a laptop that records voice
// notes needs `run` for its recorder, so these clients run with the test
// set (see the client README).
Deno.test("a voice note recorded by the test recorder reaches every member, the same bytes, announced with its length", async () => {
  const names = ["Alpha", "Bravo", "Charlie"].map(uniqueDevice);
  const [alphaId] = names;
  await using stack = await startStack({ devices: names });
  const members: TestClientProcess[] = [];
  try {
    members.push(
      ...await startRoom(stack, names, {
        room: ROOM,
        capacity: 3,
        args: ["--recorder", RECORDER],
      }),
    );
    await waitForEpoch(members, ROOM, 3);
    const [alpha, ...others] = members;
    await alpha.process.type("/voice 2");
    await alpha.process.waitForLine(/🎤 Recording a 2 s voice note…$/, WAIT_MS);
    const received: Uint8Array[] = [];
    for (const member of others) {
      const line = await member.process.waitForLine(
        new RegExp(
          `\\[squad1\\] 🎤 0:02 from ${alphaId} → (.+) \\(/play 1\\)$`,
        ),
        WAIT_MS,
      );
      const path = line.slice(
        line.indexOf("→ ") + 2,
        line.lastIndexOf(" (/play"),
      );
      received.push(await Deno.readFile(`${PROJECT_ROOT}${path}`));
    }
    await alpha.process.waitForLine(
      /✓✓ \[squad1\] all 2 confirmed: 🎤 0:02 voice note$/,
      WAIT_MS,
    );
    // The tone is deterministic: what the sender's recorder wrote.
    const reference = await Deno.makeTempFile({ suffix: ".wav" });
    const [program, ...args] = RECORDER.replace("{file}", reference)
      .replace("{seconds}", "2").split(" ");
    await new Deno.Command(program, { args }).output();
    const recorded = await Deno.readFile(reference);
    await Deno.remove(reference);
    assertEquals(received[0], recorded);
    assertEquals(received[1], recorded);
    const wav = readWav(received[0]);
    if (!wav.ok) throw new Error(`not a WAV file: ${wav.message}`);
    assertEquals(
      [wav.value.seconds, wav.value.sampleRate, wav.value.channels],
      [2, 8000, 1],
    );
    await others[0].process.type("/play 9");
    await others[0].process.waitForLine(
      /⚠ \/play takes a voice note's number, 1 to 1, not "9"$/,
      WAIT_MS,
    );
  } finally {
    await stopClients(...members);
    await Deno.remove(`${PROJECT_ROOT}downloads/${alphaId}`, {
      recursive: true,
    }).catch(() => {});
  }
});

Deno.test("without a recorder /voice says what to install", async () => {
  const names = ["Alpha", "Bravo"].map(uniqueDevice);
  await using stack = await startStack({ devices: names });
  const alpha = await startMember(stack, {
    device: names[0],
    peer: names[1],
    room: `${ROOM}:2`,
    // A laptop with neither alsa-utils nor sox: nothing on its PATH.
    env: { PATH: await Deno.makeTempDir() },
  });
  try {
    await alpha.process.type("/voice 2");
    await alpha.process.waitForLine(
      /✗ Voice note: no recorder: .*; install alsa-utils or sox, or give one with --recorder/,
      WAIT_MS,
    );
  } finally {
    await stopClients(alpha);
  }
});
