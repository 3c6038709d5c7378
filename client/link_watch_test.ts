import { assertEquals } from "@std/assert";
import { FakeKms, testKey } from "./_test_fakes.ts";
import { type LinkEvent, LinkWatch } from "./link_watch.ts";

Deno.test("polls report the link; an outage is said once, and its end", async () => {
  const kms = new FakeKms([{ ok: true, key: testKey() }]);
  const answer = kms.linkStatus.bind(kms);
  const script = ["up", "down", "down", "up", "red"];
  let polls = 0;
  const done = Promise.withResolvers<void>();
  kms.linkStatus = () => {
    const step = script[polls++];
    if (polls >= script.length) done.resolve();
    if (step === "down") return Promise.reject(new Error("KMS unreachable"));
    if (step === "red") kms.link = { status: "RED", qber: 0.3 };
    return answer();
  };
  const events: LinkEvent[] = [];
  const turns: string[] = [];
  const watch = new LinkWatch(kms, {
    intervalMs: 1,
    onEvent: (event) => events.push(event),
    onRed: () => turns.push("red"),
    onGreen: () => turns.push("green"),
  });
  watch.start();
  await done.promise;
  await watch.stop();
  assertEquals(events, [
    { kind: "kms_unreachable", message: "KMS unreachable" },
    { kind: "kms_back" },
    { kind: "link_red", qber: 0.3 },
  ]);
  assertEquals(turns, ["red"]);
  assertEquals(watch.link, { status: "RED", qber: 0.3 });
  assertEquals(watch.kmsProblem, undefined);
});

Deno.test("a YELLOW link after RED resumes chat too", () => {
  const events: LinkEvent[] = [];
  const watch = new LinkWatch(new FakeKms([]), {
    onEvent: (event) => events.push(event),
    onRed: () => {},
    onGreen: () => {},
  });
  watch.report("GREEN", 0.01);
  watch.report("RED", 0.2);
  watch.report("YELLOW", 0.07);
  watch.report("GREEN", 0.01);
  assertEquals(events, [
    { kind: "link_red", qber: 0.2 },
    { kind: "link_back", status: "YELLOW", qber: 0.07 },
  ]);
});
