// Where the case stands, and the acts from the end of the investigation to the decision, as the
// case view offers them to who is signed in.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button, NavBar, Tag } from "vant";
import { makeI18n } from "../i18n";
import type { CaseDetail, Person } from "../api";
import { caseDetail, head, step, officer, reviewer } from "../components/acts.fixture";

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
  current = { ...d, row: { ...d.row, violation_name: "占道经营", domain_name: "市容环境" } };
  const w = mount(CaseView, { props: { id: "case-1", signedIn }, global: { plugins: [makeI18n(), NavBar, Button, Tag] } });
  await flushPromises();
  return w;
}
const ACT_PANELS = [".notify-panel", ".statement-panel", ".hearing-panel", ".discussion-panel", ".decide-panel", ".extend-panel"];
const shown = (w: Awaited<ReturnType<typeof view>>) => ACT_PANELS.filter((css) => w.find(css).exists());

describe("CaseView: the procedure and the acts up to the decision", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  });
  afterEach(() => {
    vi.runOnlyPendingTimers();
    vi.useRealTimers();
  });

  it("shows where the case stands above the panels", async () => {
    const w = await view(caseDetail("investigation_concluded", [step("notify"), step("legal_review")]), [officer]);
    const html = w.html();
    expect(html.indexOf("procedure")).toBeLessThan(html.indexOf("notify-panel"));
    expect(w.find("[data-stage=notified]").attributes("data-state")).toBe("current");
  });

  it("offers the notice to the officers and the review to the reviewer", async () => {
    const d = () => caseDetail("investigation_concluded", [step("notify"), step("legal_review")]);
    expect(shown(await view(d(), [officer]))).toEqual([".notify-panel"]);
    const r = await view(d(), [reviewer]);
    expect(shown(r)).toEqual([]);
    expect(r.find(".review .pass").exists()).toBe(true);
  });

  it("offers the statement to the officers after the notice, and nothing to the head", async () => {
    const d = () => caseDetail("notified", [step("hear_statement"), step("request_hearing"), step("legal_review", "…")]);
    expect(shown(await view(d(), [officer]))).toEqual([".statement-panel", ".hearing-panel"]);
    expect(shown(await view(d(), [reviewer]))).toEqual([]);
  });

  it("offers the discussion and the extension to the head only, not the decision while it is blocked", async () => {
    const d = () =>
      caseDetail("legal_reviewed", [step("collective_discussion"), step("decide", "须先经集体讨论"), step("extend_deadline")], {
        state: { legal_review_passed: true, major: true },
      });
    expect(shown(await view(d(), [head]))).toEqual([".discussion-panel", ".extend-panel"]);
    expect(shown(await view(d(), [officer]))).toEqual([]);
    expect(shown(await view(d(), [reviewer]))).toEqual([]);
  });
});
