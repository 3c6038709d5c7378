/**
 * System tests for `router/router_guard.sh`: three network namespaces
 * (client — router — server) joined by veth pairs; the guard runs in the
 * router namespace under `busybox sh` with BusyBox wget and real iptables,
 * and polls a test status server in the server namespace.
 *
 * Needs root, `ip`, `busybox`, `iptables` (and `nft` for the fw4 test).
 * Without them a test warns and returns; with `CI=true` it fails instead.
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { ADDR, findTool, nsRun, run } from "../testing/netns.ts";
import {
  assertAllowedWithin,
  assertBlockedWithin,
  CHAT_PORT,
  countRules,
  ENFORCE_MS,
  openChatStream,
  OTHER_PORT,
  POLL_INTERVAL,
  polls,
  probe,
  ruleChanges,
  setStatus,
  trace,
  waitForHits,
  waitForPolls,
  withLab,
} from "../testing/router_guard_lab.ts";
import { skipUnless } from "../testing/skip.ts";

const T = (name: string) => `router guard: ${name}`;

Deno.test(
  T("GREEN allows, RED blocks new and established 8765 only, YELLOW changes nothing, GREEN restores"),
  () =>
    withLab(T("RED/GREEN/YELLOW"), {}, async (lab) => {
      const guard = lab.startGuard();
      await guard.waitFor(/^Status: GREEN — Chat traffic ALLOWED$/, 5000);
      assertMatch(
        guard.messages[0],
        /^Guard started: chain FORWARD, chat port 8765, poll every 1s/,
      );
      assert(guard.messages.includes(`Polling KMS at ${ADDR.server}:8000...`));

      assert(await probe(lab, CHAT_PORT), "8765 works while GREEN");
      assert(await probe(lab, OTHER_PORT), "9000 works while GREEN");
      await openChatStream(lab);

      // Steady GREEN: no iptables calls at all.
      let mark = (await trace(lab)).length;
      await waitForHits(lab, 2);
      assertEquals(
        (await trace(lab)).slice(mark).filter((l) => l.startsWith("iptables")),
        [],
      );

      // RED: blocked within POLL_INTERVAL + 2 s, seed's log lines.
      let from = guard.messages.length;
      await setStatus(lab, "RED");
      await assertBlockedWithin(lab, Date.now() + ENFORCE_MS, guard, "chat");
      const red = await guard.waitFor(
        /^Status: RED — QUANTUM BREACH DETECTED!$/,
        0,
        from,
      );
      // The guard prints the sequence over a few milliseconds: wait for its
      // last line before comparing it whole.
      await guard.waitFor(/^Chat traffic BLOCKED at network layer$/, 2000, red);
      assertEquals(guard.messages.slice(red, red + 4), [
        "Status: RED — QUANTUM BREACH DETECTED!",
        "Executing: iptables -I FORWARD -p tcp --dport 8765 -j DROP",
        "Executing: iptables -I FORWARD -p tcp --sport 8765 -j DROP",
        "Chat traffic BLOCKED at network layer",
      ]);

      // Steady RED and YELLOW-while-blocked: no rule changes, still blocked.
      mark = (await trace(lab)).length;
      await waitForHits(lab, 2);
      from = guard.messages.length;
      await setStatus(lab, "YELLOW", "spaced");
      await guard.waitFor(
        /^Status: YELLOW — QBER elevated; no firewall change \(chat traffic BLOCKED\)$/,
        ENFORCE_MS,
        from,
      );
      await waitForHits(lab, 2);
      assertEquals(ruleChanges(lab, (await trace(lab)).slice(mark)), []);
      assertEquals(await countRules(lab), { dport: 1, sport: 1 });
      assert(!await probe(lab, CHAT_PORT), "YELLOW keeps the RED block");

      // GREEN: allowed again within POLL_INTERVAL + 2 s.
      from = guard.messages.length;
      await setStatus(lab, "GREEN");
      await assertAllowedWithin(lab, Date.now() + ENFORCE_MS, guard);
      const green = await guard.waitFor(
        /^Status: GREEN — Quantum link restored$/,
        0,
        from,
      );
      await guard.waitFor(
        /^Removing firewall block\. Chat traffic ALLOWED\.$/,
        2000,
        green,
      );
      assertEquals(guard.messages.slice(green, green + 4), [
        "Status: GREEN — Quantum link restored",
        "Executing: iptables -D FORWARD -p tcp --dport 8765 -j DROP",
        "Executing: iptables -D FORWARD -p tcp --sport 8765 -j DROP",
        "Removing firewall block. Chat traffic ALLOWED.",
      ]);

      // YELLOW while allowed: nothing, not even an iptables check.
      mark = (await trace(lab)).length;
      from = guard.messages.length;
      await setStatus(lab, "YELLOW");
      await guard.waitFor(
        /^Status: YELLOW — .*\(chat traffic ALLOWED\)$/,
        ENFORCE_MS,
        from,
      );
      await waitForHits(lab, 2);
      assertEquals(
        (await trace(lab)).slice(mark).filter((l) => l.startsWith("iptables")),
        [],
      );
      assert(await probe(lab, CHAT_PORT));

      // RED in Python's spaced JSON ("status": "RED") is understood too.
      await setStatus(lab, "RED", "spaced");
      await assertBlockedWithin(lab, Date.now() + ENFORCE_MS, guard);
      await setStatus(lab, "GREEN", "spaced");
      await assertAllowedWithin(lab, Date.now() + ENFORCE_MS, guard);

      // Each state change was logged once.
      const count = (re: RegExp) =>
        guard.messages.filter((m) => re.test(m)).length;
      assertEquals(count(/^Status: RED/), 2);
      assertEquals(count(/^Status: YELLOW/), 2);
      assertEquals(count(/^Status: GREEN/), 3);

      const status = await guard.stop("SIGTERM");
      assertEquals(status.code, 143);
      assertEquals(guard.messages.at(-1), "Guard stopped");
    }),
);

Deno.test(
  T("stopping removes its rules; restarts (even after SIGKILL) never duplicate; a flushed chain is repaired"),
  () =>
    withLab(T("lifecycle"), {}, async (lab) => {
      const ipt = findTool(lab.iptables)!;
      const router = lab.topo.router;
      // Two stacked copies, as an older guard without `iptables -C` left them.
      for (let i = 0; i < 2; i++) {
        await nsRun(router, ipt, [
          "-I",
          "FORWARD",
          "-p",
          "tcp",
          "--dport",
          "8765",
          "-j",
          "DROP",
        ]);
      }
      let guard = lab.startGuard();
      await guard.waitFor(
        /^Found DROP rules for port 8765 already in FORWARD/,
        5000,
      );
      await guard.waitFor(
        /^Removing firewall block\. Chat traffic ALLOWED\.$/,
        ENFORCE_MS,
      );
      assertEquals(await countRules(lab), { dport: 0, sport: 0 });
      assert(await probe(lab, CHAT_PORT));
      let from = guard.messages.length;

      // SIGTERM, SIGINT, SIGHUP each remove the rules through the trap.
      await setStatus(lab, "RED");
      for (
        const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130], [
          "SIGHUP",
          129,
        ]] as const
      ) {
        await guard.waitFor(
          /^Chat traffic BLOCKED at network layer$/,
          ENFORCE_MS,
          from,
        );
        assertEquals(await countRules(lab), { dport: 1, sport: 1 });
        const status = await guard.stop(signal);
        assertEquals(status.code, code, guard.transcript());
        assertEquals(
          await countRules(lab),
          { dport: 0, sport: 0 },
          guard.transcript(),
        );
        assert(
          guard.messages.includes(
            "Guard stopping — removing its firewall rules",
          ),
        );
        assertEquals(guard.messages.at(-1), "Guard stopped");
        guard = lab.startGuard();
        from = 0;
      }

      // SIGKILL skips the trap: the rules stay, and the next run adopts them.
      await guard.waitFor(
        /^Chat traffic BLOCKED at network layer$/,
        ENFORCE_MS,
      );
      await guard.stop("SIGKILL");
      assertEquals(await countRules(lab), { dport: 1, sport: 1 });
      guard = lab.startGuard();
      await guard.waitFor(
        /^Found DROP rules for port 8765 already in FORWARD/,
        5000,
      );
      await guard.waitFor(
        /^Status: RED — QUANTUM BREACH DETECTED!$/,
        ENFORCE_MS,
      );
      await waitForHits(lab, 2);
      assertEquals(await countRules(lab), { dport: 1, sport: 1 });
      assert(
        !guard.messages.some((m) => m.startsWith("Executing: iptables -I")),
      );

      // A firewall reload that flushes FORWARD: the block is put back.
      from = guard.messages.length;
      await nsRun(router, ipt, ["-F", "FORWARD"]);
      await guard.waitFor(
        /^Block rules missing from FORWARD \(firewall reloaded\?\) — re-inserting$/,
        ENFORCE_MS,
        from,
      );
      await assertBlockedWithin(lab, Date.now() + ENFORCE_MS, guard);

      await setStatus(lab, "GREEN");
      await assertAllowedWithin(lab, Date.now() + ENFORCE_MS, guard);
      assertEquals((await guard.stop("SIGTERM")).code, 143);
      assertEquals(await countRules(lab), { dport: 0, sport: 0 });
    }),
);

Deno.test(
  T("FAIL_MODE=closed blocks after FAIL_THRESHOLD failed polls (timeout, refused, unreadable), logging each failure once"),
  () =>
    withLab(T("FAIL_MODE=closed"), {}, async (lab) => {
      const ipt = findTool(lab.iptables)!;
      const guard = lab.startGuard(); // FAIL_MODE and FAIL_THRESHOLD defaults
      await guard.waitFor(/^Status: GREEN — Chat traffic ALLOWED$/, 5000);
      assert(
        guard.messages[0].endsWith("FAIL_MODE=closed (after 3 failed polls)"),
      );
      await openChatStream(lab);

      // The KMS host silently drops the polls: each one times out.
      let mark = (await trace(lab)).length;
      await nsRun(lab.topo.server, ipt, [
        "-I",
        "INPUT",
        "-p",
        "tcp",
        "--dport",
        "8000",
        "-j",
        "DROP",
      ]);
      let from = guard.messages.length;
      await guard.waitFor(
        /^KMS unreachable at 10\.231\.2\.2:8000 \(no answer within 1s\) — FAIL_MODE=closed: chat traffic will be BLOCKED after 3 consecutive failed polls$/,
        ENFORCE_MS + 1000,
        from,
      );
      const blockAt = await guard.waitFor(
        /^FAIL_MODE=closed: no valid KMS answer for 3 consecutive polls — blocking chat traffic$/,
        3 * (POLL_INTERVAL + 1) * 1000 + 2000,
        from,
      );
      await guard.waitFor(
        /^Chat traffic BLOCKED at network layer$/,
        2000,
        blockAt,
      );
      assertEquals(guard.messages.slice(blockAt + 1, blockAt + 4), [
        "Executing: iptables -I FORWARD -p tcp --dport 8765 -j DROP",
        "Executing: iptables -I FORWARD -p tcp --sport 8765 -j DROP",
        "Chat traffic BLOCKED at network layer",
      ]);
      await assertBlockedWithin(lab, Date.now() + ENFORCE_MS, guard, "chat");
      // The first insert came only after 3 failed polls (plus at most one
      // poll that was answered before the DROP went in, or minus one traced
      // just before the mark that met the DROP).
      const lines = (await trace(lab)).slice(mark);
      const firstInsert = lines.findIndex((l) => / -I FORWARD /.test(l));
      const before = polls(lines.slice(0, firstInsert)).length;
      assert(before >= 2 && before <= 4, `${before} polls before blocking`);

      // Refused connections (KMS process down): a new reason, logged once.
      await lab.server.call({ op: "status_down" });
      await nsRun(lab.topo.server, ipt, [
        "-D",
        "INPUT",
        "-p",
        "tcp",
        "--dport",
        "8000",
        "-j",
        "DROP",
      ]);
      from = guard.messages.length;
      await guard.waitFor(
        /^KMS unreachable at 10\.231\.2\.2:8000 \(wget exit 1\) — FAIL_MODE=closed: chat traffic stays BLOCKED$/,
        ENFORCE_MS + 1000,
        from,
      );
      await waitForPolls(lab, 3, 5 * (POLL_INTERVAL + 1) * 1000);
      assertEquals(
        guard.messages.slice(from).filter((m) =>
          m.startsWith("KMS unreachable")
        ).length,
        1,
      );

      // A reachable KMS answering garbage counts as a failure, logged once.
      await lab.server.call({
        op: "status_set",
        status: "GREEN",
        format: "garbage",
      });
      await lab.server.call({ op: "status_up" });
      from = guard.messages.length;
      await guard.waitFor(
        /^Unreadable answer from KMS at 10\.231\.2\.2:8000 \(no GREEN\/YELLOW\/RED status field\) — FAIL_MODE=closed: chat traffic stays BLOCKED$/,
        ENFORCE_MS,
        from,
      );
      await waitForHits(lab, 2);
      assertEquals(
        guard.messages.slice(from).filter((m) => m.startsWith("Unreadable"))
          .length,
        1,
      );
      assertEquals(await countRules(lab), { dport: 1, sport: 1 });
      assert(!await probe(lab, CHAT_PORT));

      // A valid GREEN lifts the fail-closed block.
      mark = guard.messages.length;
      await setStatus(lab, "GREEN");
      await assertAllowedWithin(lab, Date.now() + ENFORCE_MS, guard);
      await guard.waitFor(
        /^KMS reachable again at 10\.231\.2\.2:8000 after \d+ failed poll\(s\)$/,
        0,
        mark,
      );
      await guard.waitFor(/^Status: GREEN — Quantum link restored$/, 0, mark);
    }),
);

Deno.test(
  T("FAIL_MODE=open keeps the last state while the KMS is unreachable"),
  () =>
    withLab(T("FAIL_MODE=open"), {}, async (lab) => {
      const guard = lab.startGuard({ FAIL_MODE: "open", FAIL_THRESHOLD: "2" });
      await guard.waitFor(/^Status: GREEN — Chat traffic ALLOWED$/, 5000);

      // GREEN, then the KMS goes down: chat stays allowed.
      await lab.server.call({ op: "status_down" });
      let from = guard.messages.length;
      await guard.waitFor(
        /^KMS unreachable at 10\.231\.2\.2:8000 \(wget exit 1\) — FAIL_MODE=open: keeping chat traffic ALLOWED$/,
        ENFORCE_MS,
        from,
      );
      await waitForPolls(lab, 3, 6 * (POLL_INTERVAL + 1) * 1000);
      assertEquals(await countRules(lab), { dport: 0, sport: 0 });
      assert(await probe(lab, CHAT_PORT));
      assertEquals(guard.messages.slice(from).length, 1, guard.transcript());

      // RED, then the KMS goes down: chat stays blocked.
      await setStatus(lab, "RED");
      await lab.server.call({ op: "status_up" });
      await assertBlockedWithin(lab, Date.now() + ENFORCE_MS, guard);
      await lab.server.call({ op: "status_down" });
      from = guard.messages.length;
      await guard.waitFor(
        /— FAIL_MODE=open: keeping chat traffic BLOCKED$/,
        ENFORCE_MS,
        from,
      );
      await waitForPolls(lab, 3, 6 * (POLL_INTERVAL + 1) * 1000);
      assertEquals(await countRules(lab), { dport: 1, sport: 1 });
      assert(!await probe(lab, CHAT_PORT));

      // Back with GREEN: allowed.
      await setStatus(lab, "GREEN");
      await lab.server.call({ op: "status_up" });
      await assertAllowedWithin(lab, Date.now() + ENFORCE_MS, guard);
    }),
);

Deno.test(
  T("iptables-legacy: the inserted DROP beats an fw3-style ESTABLISHED accept rule"),
  () =>
    withLab(
      T("iptables-legacy"),
      { iptables: "iptables-legacy" },
      async (lab) => {
        // fw3 (OpenWrt <= 21.02) accepts established flows early in FORWARD.
        await nsRun(lab.topo.router, findTool("iptables-legacy")!, [
          "-A",
          "FORWARD",
          "-m",
          "conntrack",
          "--ctstate",
          "RELATED,ESTABLISHED",
          "-j",
          "ACCEPT",
        ]);
        const guard = lab.startGuard();
        await guard.waitFor(/^Status: GREEN — Chat traffic ALLOWED$/, 5000);
        await openChatStream(lab);
        await setStatus(lab, "RED");
        await assertBlockedWithin(lab, Date.now() + ENFORCE_MS, guard, "chat");
        await guard.waitFor(
          /^Executing: iptables-legacy -I FORWARD -p tcp --dport 8765 -j DROP$/,
          0,
        );
        await setStatus(lab, "GREEN");
        await assertAllowedWithin(lab, Date.now() + ENFORCE_MS, guard);
        assertEquals((await guard.stop()).code, 143);
      },
    ),
);

Deno.test(
  T("iptables-nft beside an fw4-style nftables forward chain: DROP wins, an fw4 reload leaves it"),
  () =>
    withLab(T("fw4 + iptables-nft"), {
      iptables: "iptables-nft",
      tools: ["nft"],
    }, async (lab) => {
      const nft = findTool("nft")!;
      // Shaped like OpenWrt 22.03+ fw4: table inet fw4, forward chain with
      // policy drop that accepts established flows and the zone forwards.
      const fw4 = `table inet fw4 {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "br0" oifname "srv0" accept
    iifname "srv0" oifname "br0" accept
  }
}
`;
      const loadFw4 = async () => {
        const file = `${lab.bin.dir}/fw4.nft`;
        await Deno.writeTextFile(file, fw4);
        await nsRun(lab.topo.router, nft, ["-f", file]);
      };
      await loadFw4();
      const guard = lab.startGuard();
      await guard.waitFor(/^Status: GREEN — Chat traffic ALLOWED$/, 5000);
      await openChatStream(lab);
      await setStatus(lab, "RED");
      await assertBlockedWithin(lab, Date.now() + ENFORCE_MS, guard, "chat");

      // fw4 reload = delete + recreate table inet fw4; our rules live in
      // table ip filter and stay without being re-inserted.
      const mark = (await trace(lab)).length;
      await nsRun(lab.topo.router, nft, ["delete", "table", "inet", "fw4"]);
      await loadFw4();
      const ruleset =
        (await nsRun(lab.topo.router, nft, ["list", "ruleset"])).stdout;
      assertMatch(
        ruleset,
        /table ip filter \{[\s\S]*tcp dport 8765[\s\S]*drop/,
      );
      await waitForHits(lab, 2);
      assertEquals(ruleChanges(lab, (await trace(lab)).slice(mark)), []);
      assertEquals(await countRules(lab), { dport: 1, sport: 1 });
      assert(!await probe(lab, CHAT_PORT));
      assert(await probe(lab, OTHER_PORT));

      await setStatus(lab, "GREEN");
      await assertAllowedWithin(lab, Date.now() + ENFORCE_MS, guard);
    }),
);

Deno.test(
  T("rejects a bad configuration before touching iptables"),
  () =>
    withLab(T("config validation"), {}, async (lab) => {
      const cases: [Record<string, string>, string][] = [
        [
          { FAIL_MODE: "maybe" },
          "ERROR: FAIL_MODE must be 'closed' or 'open' (got 'maybe')",
        ],
        [{ POLL_INTERVAL: "0" }, "ERROR: POLL_INTERVAL must be >= 1 (got '0')"],
        [
          { CHAT_PORT: "chat" },
          "ERROR: CHAT_PORT must be a whole number (got 'chat')",
        ],
        [
          { KMS_PORT: "70000" },
          "ERROR: KMS_PORT must be <= 65535 (got '70000')",
        ],
        [
          { CHAIN: "FORWARD; reboot" },
          "ERROR: CHAIN must be an iptables chain name (got 'FORWARD; reboot')",
        ],
        [
          { CHAIN: "NO_SUCH_CHAIN" },
          `ERROR: cannot read iptables chain 'NO_SUCH_CHAIN' with '${lab.iptables}' (missing iptables, not root, or no such chain?)`,
        ],
      ];
      for (const [env, message] of cases) {
        const guard = lab.startGuard(env);
        const status = await guard.exited();
        assertEquals(status.code, 2, guard.transcript());
        assertEquals(guard.messages, [message]);
      }
      assertEquals(polls(await trace(lab)), []);
      assertEquals(ruleChanges(lab, await trace(lab)), []);
    }),
);

Deno.test(
  T("the procd init script runs the guard with its settings as environment"),
  async () => {
    const reason = findTool("busybox") ? undefined : "'busybox' not found";
    if (skipUnless(T("procd init script"), reason)) return;
    const dir = new URL(".", import.meta.url).pathname;
    const busybox = findTool("busybox")!;
    for (const file of ["router_guard.sh", "qstcs-guard.init"]) {
      const check = await run(busybox, ["sh", "-n", `${dir}${file}`], false);
      assertEquals(check.code, 0, `busybox sh -n ${file}: ${check.stderr}`);
    }
    // Stand-ins for OpenWrt's procd helpers that print what they are given.
    const stubs = `
procd_open_instance() { echo "open_instance $*"; }
procd_set_param() { printf 'set_param'; for a in "$@"; do printf ' <%s>' "$a"; done; echo; }
procd_close_instance() { echo close_instance; }
. '${dir}qstcs-guard.init'
echo "USE_PROCD=$USE_PROCD START=$START STOP=$STOP"
start_service
`;
    const out = await run(busybox, ["sh", "-c", stubs]);
    const lines = out.stdout.trim().split("\n");
    assertEquals(lines[0], "USE_PROCD=1 START=99 STOP=10");
    assertEquals(lines[1], "open_instance router_guard");
    assert(
      lines.includes(
        "set_param <command> </usr/bin/router_guard.sh>",
      ),
    );
    assert(lines.includes("set_param <respawn> <3600> <5> <0>"));
    assert(lines.includes("set_param <stdout> <1>"));
    assert(lines.includes("set_param <stderr> <1>"));
    assertEquals(lines.at(-1), "close_instance");
    const envLine = lines.find((l) => l.startsWith("set_param <env>"))!;
    const passed = [...envLine.matchAll(/<([A-Z_]+)=([^>]*)>/g)].map((
      m,
    ) => [m[1], m[2]]);
    assertEquals(Object.fromEntries(passed), {
      KMS_HOST: "192.168.1.100",
      KMS_PORT: "8000",
      CHAT_PORT: "8765",
      POLL_INTERVAL: "3",
      CHAIN: "FORWARD",
      FAIL_MODE: "closed",
      FAIL_THRESHOLD: "3",
      WGET_TIMEOUT: "2",
      IPTABLES: "iptables",
      RECHECK_RULES: "1",
    });
    // Exactly the guard's settings, with the same defaults as the script.
    const script = await Deno.readTextFile(`${dir}router_guard.sh`);
    const defaults = [...script.matchAll(/^([A-Z_]+)="\$\{\1:-([^}]*)\}"/gm)]
      .map((m) => [m[1], m[2]]);
    assertEquals(Object.fromEntries(passed), Object.fromEntries(defaults));
  },
);
