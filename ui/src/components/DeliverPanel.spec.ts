import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { enableAutoUnmount, flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";
import type { CaseDetail, Person } from "../api";
import { assistant, detail, leader, officer, officer2, reviewer, step } from "./acts.fixture";
import { draw, Pad, png } from "./pad.fixture";

const recordAct = vi.fn();
const deliverSigned = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return {
    ...real,
    api: {
      recordAct: (id: string, act: unknown) => recordAct(id, act),
      deliverSigned: (...a: unknown[]) => deliverSigned(...a),
    },
  };
});

import DeliverPanel from "./DeliverPanel.vue";

const decided = (over: Partial<CaseDetail> = {}) => detail({ status: "decided", steps: [step("deliver")], ...over });
// In the document, so that whether the signature pad shows can be seen.
enableAutoUnmount(afterEach);
const mountPanel = (d: CaseDetail, signedIn: Person[]) =>
  mount(DeliverPanel, {
    attachTo: document.body,
    props: { detail: d, signedIn },
    global: { plugins: [makeI18n(), Button], stubs: { SignaturePad: Pad } },
  });

async function send(w: ReturnType<typeof mountPanel>) {
  await w.find(".send").trigger("click");
  await flushPromises();
}

describe("DeliverPanel", () => {
  beforeEach(() => {
    recordAct.mockReset();
    recordAct.mockResolvedValue(undefined);
    deliverSigned.mockReset();
    deliverSigned.mockResolvedValue(undefined);
  });

  it("is offered to the officers once the case is decided, and never to an assistant", () => {
    expect(mountPanel(decided(), [officer]).find(".deliver").exists()).toBe(true);
    expect(mountPanel(decided(), [leader]).find(".deliver").exists()).toBe(true);
    expect(mountPanel(decided(), [assistant]).find(".deliver").exists()).toBe(false);
    // Everyone signed in signs: an assistant beside an officer would have the act refused.
    expect(mountPanel(decided(), [officer, assistant]).find(".deliver").exists()).toBe(false);
    expect(mountPanel(decided(), [reviewer]).find(".deliver").exists()).toBe(false);
    // Even if a case's next steps named assistants, delivery is not theirs.
    const wrong = decided({ next_steps: [{ ...step("deliver"), roles: ["assistant", "enforcement_officer"] }] });
    expect(mountPanel(wrong, [assistant]).find(".deliver").exists()).toBe(false);
    // Not before the decision.
    expect(mountPanel(detail({ status: "legal_reviewed", steps: [step("decide")] }), [officer]).find(".deliver").exists()).toBe(false);
  });

  it("records a direct delivery with the 送达回证", async () => {
    const w = mountPanel(decided(), [officer, officer2]);
    expect((w.find(".recipient").element as HTMLInputElement).value).toBe("张三");
    // Unsigned on the pad (the officers hold a paper receipt): recorded all the same, after a
    // word that the signature goes onto the 送达回证.
    expect(w.find(".unsigned").text()).toContain("签名将印在送达回证上");
    await send(w);
    expect(recordAct).toHaveBeenCalledWith("case-1", {
      act: "deliver",
      method: { kind: "direct" },
      late_reason: null,
      receipt: { recipient: "张三", refused: false, witnesses: [], note: "" },
    });
    expect(w.emitted("changed")).toHaveLength(1);
  });

  it("sends the recipient's signature drawn on the pad with a delivery in person", async () => {
    const w = mountPanel(decided(), [officer, officer2]);
    expect(w.find(".recipient-signs").isVisible()).toBe(true);
    expect(w.text()).toContain("受送达人签收");
    await draw(w);
    expect(w.find(".unsigned").exists()).toBe(false);
    await send(w);
    expect(deliverSigned).toHaveBeenCalledWith(
      "case-1",
      {
        act: "deliver",
        method: { kind: "direct" },
        late_reason: null,
        receipt: { recipient: "张三", refused: false, witnesses: [], note: "" },
      },
      png,
    );
    expect(recordAct).not.toHaveBeenCalled();
    expect(w.emitted("changed")).toHaveLength(1);
  });

  it("takes no signature where no one signs in person, even one drawn before switching", async () => {
    const w = mountPanel(decided(), [officer]);
    await draw(w);
    await w.find("[data-method=post]").setValue(true);
    expect(w.find(".recipient-signs").isVisible()).toBe(false);
    await w.find(".tracking").setValue("EMS1234567890");
    await send(w);
    expect(deliverSigned).not.toHaveBeenCalled();
    expect(recordAct).toHaveBeenCalledWith("case-1", expect.objectContaining({ method: { kind: "post" } }));
    for (const m of ["entrusted", "forwarded"]) {
      await w.find(`[data-method=${m}]`).setValue(true);
      expect(w.find(".recipient-signs").isVisible()).toBe(true);
    }
  });

  it("leaves it at the address only with a witness and the refusal written down", async () => {
    const w = mountPanel(decided(), [officer]);
    await w.find("[data-method=left_at_address]").setValue(true);
    // The recipient refused: no one signs on the pad.
    expect(w.find(".recipient-signs").isVisible()).toBe(false);
    expect(w.find(".send").attributes("disabled")).toBeDefined();
    expect(w.text()).toContain("留置送达须有见证人");
    await w.find(".witness").setValue("赵见证");
    await w.find(".add-witness").trigger("click");
    await w.findAll(".witness")[1].setValue("钱社区");
    expect(w.text()).toContain("请填写拒收事由和日期");
    await w.find(".refusal").setValue("当事人拒绝签收，12月1日10时留置于其店内");
    await send(w);
    expect(recordAct).toHaveBeenCalledWith("case-1", {
      act: "deliver",
      method: { kind: "left_at_address" },
      late_reason: null,
      receipt: { recipient: "张三", refused: true, witnesses: ["赵见证", "钱社区"], note: "当事人拒绝签收，12月1日10时留置于其店内" },
    });
  });

  it("never sends an electronic delivery without the party's consent", async () => {
    const w = mountPanel(decided(), [officer]);
    await w.find("[data-method=electronic]").setValue(true);
    await w.find(".address").setValue("zhangsan@example.com");
    expect(w.find(".send").attributes("disabled")).toBeDefined();
    expect(w.text()).toContain("电子送达须经受送达人同意");
    await send(w);
    expect(recordAct).not.toHaveBeenCalled();
    await w.find(".consent-box").setValue(true);
    await send(w);
    expect(recordAct).toHaveBeenCalledWith("case-1", {
      act: "deliver",
      method: { kind: "electronic", party_consented: true },
      late_reason: null,
      receipt: { recipient: "张三", refused: false, witnesses: [], note: "zhangsan@example.com" },
    });
  });

  it("writes the tracking number of a post and the media and reason of a public notice", async () => {
    const w = mountPanel(decided(), [officer]);
    await w.find("[data-method=post]").setValue(true);
    await w.find(".tracking").setValue("EMS1234567890");
    await send(w);
    expect(recordAct).toHaveBeenLastCalledWith("case-1", expect.objectContaining({
      method: { kind: "post" },
      receipt: { recipient: "张三", refused: false, witnesses: [], note: "EMS1234567890" },
    }));
    const p = mountPanel(decided(), [officer]);
    await p.find("[data-method=public_notice]").setValue(true);
    await p.find(".media").setValue("《洛阳日报》2026年12月1日");
    expect(p.find(".send").attributes("disabled")).toBeDefined();
    await p.find(".why").setValue("当事人下落不明");
    await send(p);
    const act = recordAct.mock.lastCall![1];
    expect(act.method).toEqual({ kind: "public_notice" });
    expect(act.receipt.note).toContain("《洛阳日报》2026年12月1日");
    expect(act.receipt.note).toContain("当事人下落不明");
  });

  it("asks why when the seven days have passed, and sends the reason", async () => {
    const late = decided();
    late.row.deadlines = [{ kind: { kind: "delivery" }, due: Date.now() - 86_400_000, urgency: "overdue" }];
    const w = mountPanel(late, [officer]);
    expect(w.find(".late-reason").exists()).toBe(true);
    expect(w.find(".send").attributes("disabled")).toBeDefined();
    await w.find(".late-reason").setValue("当事人外出，多次联系未果");
    await send(w);
    expect(recordAct).toHaveBeenCalledWith("case-1", expect.objectContaining({ late_reason: "当事人外出，多次联系未果" }));
  });

  it("keeps the form and says why when the act is refused", async () => {
    const { ApiError } = await import("../api");
    recordAct.mockRejectedValue(new ApiError("rule", "送达回证不完整：受送达人"));
    const w = mountPanel(decided(), [officer]);
    await send(w);
    expect(w.find("[role=alert]").text()).toContain("送达回证不完整");
    expect(w.emitted("changed")).toBeUndefined();
  });
});
