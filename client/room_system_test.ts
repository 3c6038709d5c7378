import { assert, assertEquals } from "@std/assert";
import { PROJECT_ROOT } from "../common/service_process.ts";
import {
  linesMatching,
  startStack,
  stopClients,
  type TestClientProcess,
  uniqueDevice,
  WAIT_MS,
  waitForCount,
} from "./_test_client.ts";
import { startCaptureProxy } from "./_test_capture_proxy.ts";
import { includesBytes } from "../kms/_test_bytes.ts";
import { roomKmsAs, roomLine, startRoom, waitForEpoch } from "./_test_room.ts";

const ROOM = "squad1";

Deno.test("four members: each line reaches the other three once and in order, an attachment too; the relay's log and the capture hold no plaintext or key", async () => {
  const names = ["Alpha", "Bravo", "Charlie", "Delta"].map(uniqueDevice);
  await using stack = await startStack({ devices: names });
  await using relayCapture = startCaptureProxy(stack.relay.port);
  await using kmsCapture = startCaptureProxy(
    Number(new URL(stack.kms.url).port),
  );
  const members: TestClientProcess[] = [];
  const folder = `test_artifacts/client/${names[0]}`;
  const downloads = `${PROJECT_ROOT}downloads/${names[0]}`;
  try {
    // The first creates the room for four; the others join one by one.
    members.push(
      ...await startRoom(stack, names, {
        room: ROOM,
        capacity: 4,
        kmsUrl: `http://${kmsCapture.address}`,
        relayUrl: `ws://${relayCapture.address}`,
      }),
    );
    // Four joins: epoch 4, and every member re-keyed to it.
    await waitForEpoch(members, ROOM, 4);
    const texts = (device: string) =>
      [1, 2, 3].map((n) => `line ${n} from ${device.slice(0, 7)}`);
    for (const [index, member] of members.entries()) {
      for (const text of texts(names[index])) await member.process.type(text);
    }
    for (const [index, receiver] of members.entries()) {
      for (const [other, sender] of names.entries()) {
        if (other === index) continue;
        for (const text of texts(sender)) {
          await receiver.process.waitForLine(
            roomLine(ROOM, sender, text),
            WAIT_MS,
          );
        }
        // Exactly once each, in the order written.
        const shown = receiver.process.output.split("\n").filter((line) =>
          texts(sender).some((text) => roomLine(ROOM, sender, text).test(line))
        );
        assertEquals(
          shown.map((line) => line.slice(line.indexOf(`${sender}> `))),
          texts(sender).map((text) => `${sender}> ${text}`),
          `${names[index]} from ${sender}`,
        );
      }
    }
    // The two marks per line: relay accepted for three, then all three.
    for (const member of members) {
      await waitForCount(member.process, /✓✓ \[squad1\] all 3 confirmed/, {
        count: 3,
      });
      assertEquals(
        linesMatching(
          member.process,
          /✓ \[squad1\] relay accepted \(3 members\)/,
        )
          .length >= 3,
        true,
      );
    }
    // An attachment to the room: each member saves the same bytes.
    await Deno.mkdir(`${PROJECT_ROOT}${folder}`, { recursive: true });
    const marker = `FIELD-REPORT-${crypto.randomUUID()}`;
    const bytes = new TextEncoder().encode(
      `${marker}\n${"grid 42 ".repeat(4000)}`,
    );
    await Deno.writeFile(`${PROJECT_ROOT}${folder}/report.txt`, bytes);
    await members[0].process.type(`/file ${folder}/report.txt`);
    for (const receiver of members.slice(1)) {
      const line = await receiver.process.waitForLine(
        /\[squad1\] 📎 Received report\.txt/,
        WAIT_MS,
      );
      const path = line.slice(line.indexOf("→ ") + 2);
      assertEquals(await Deno.readFile(`${PROJECT_ROOT}${path}`), bytes);
    }
    await members[0].process.waitForLine(
      /✓✓ \[squad1\] all 3 confirmed: 📎 report\.txt/,
      WAIT_MS,
    );
    // The room key of the epoch, as a member receives it.
    const rooms = await (await roomKmsAs(stack, names[0])).list();
    const epoch = rooms.find((room) => room.room === ROOM)!.epoch;
    const answer = await (await roomKmsAs(stack, names[0])).roomKey(
      ROOM,
      epoch,
    );
    if (!answer.ok) throw new Error(`no room key: ${answer.message}`);
    const key = answer.key.key;
    const secrets = [
      ...names.flatMap(texts),
      marker,
      key.toBase64(),
      key.toBase64({ alphabet: "base64url", omitPadding: true }),
      key.toHex(),
    ];
    // What crossed the LAN: room frames went by (the capture reads them),
    // none of them or of the KMS's answers holds a line or the key.
    const frames = relayCapture.frames();
    assert(frames.some((frame) => frame.includes('"type":"room_chat"')));
    const seen = [
      ...frames,
      new TextDecoder("latin1").decode(relayCapture.raw()),
      new TextDecoder("latin1").decode(kmsCapture.raw()),
      stack.relay.output(),
    ];
    for (const secret of secrets) {
      for (const text of seen) {
        assertEquals(text.includes(secret), false, `"${secret}" in the clear`);
      }
    }
    for (const capture of [relayCapture, kmsCapture]) {
      assertEquals(includesBytes(capture.raw(), key), false);
    }
  } finally {
    await stopClients(...members);
    await Deno.remove(downloads, { recursive: true }).catch(() => {});
    await Deno.remove(`${PROJECT_ROOT}${folder}`, { recursive: true }).catch(
      () => {},
    );
  }
});
