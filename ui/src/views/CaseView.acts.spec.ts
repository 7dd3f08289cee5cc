// The acts after the decision and before filing, as the case view offers them to who is signed in.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button, NavBar, Tag } from "vant";
import { makeI18n } from "../i18n";
import type { CaseDetail, Person } from "../api";
import { assistant, detail, leader, officer, step } from "../components/acts.fixture";

let current: CaseDetail;
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  // Whatever else a panel asks for (people, records, evidence) is empty here.
  const known: Record<string, unknown> = {
    caseDetail: async () => current,
    caseRecord: async () => ({ items: [], verified: true, problems: [] }),
    evidence: async () => [],
    footageLinks: async () => ({ acts: [], proposed: {} }),
  };
  return { ...real, api: new Proxy(known, { get: (t, k: string) => t[k] ?? (async () => []) }) };
});

import CaseView from "./CaseView.vue";

async function view(d: CaseDetail, signedIn: Person[]) {
  current = d;
  const w = mount(CaseView, { props: { id: "case-1", signedIn }, global: { plugins: [makeI18n(), NavBar, Button, Tag] } });
  await flushPromises();
  return w;
}
const registered = () =>
  detail({
    status: "registered",
    steps: ["file", "return_filing", "decline_filing", "advise", "order_correction", "summary_decision", "transfer"].map((a) =>
      step(a as Parameters<typeof step>[0]),
    ),
  });

describe("CaseView: acts after the decision and before filing", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  });
  afterEach(() => {
    vi.runOnlyPendingTimers();
    vi.useRealTimers();
  });

  it("offers an assistant dissuasion and nothing that enforces", async () => {
    const w = await view(registered(), [assistant]);
    expect(w.find(".advise").exists()).toBe(true);
    for (const css of [".order-correction", ".summary-decision", ".transfer", ".recuse"]) expect(w.find(css).exists()).toBe(false);
  });

  it("offers an officer 721 handling and the summary procedure, and a leader the transfer", async () => {
    const o = await view(registered(), [officer]);
    for (const css of [".advise", ".order-correction", ".summary-decision", ".recuse"]) expect(o.find(css).exists()).toBe(true);
    expect(o.find(".transfer").exists()).toBe(false);
    const l = await view(registered(), [leader]);
    expect(l.find(".transfer").exists()).toBe(true);
  });

  it("offers delivery of a decision to the officers, not to an assistant", async () => {
    const decided = () => detail({ status: "decided", steps: [step("deliver")] });
    expect((await view(decided(), [officer])).find(".deliver").exists()).toBe(true);
    expect((await view(decided(), [assistant])).find(".deliver").exists()).toBe(false);
  });
});
