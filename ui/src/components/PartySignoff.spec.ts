import { describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";
import { draw, Pad, png } from "./pad.fixture";

const signOffParty = vi.fn();
const signOffWitness = vi.fn();
const signOffNote = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return {
    ...real,
    api: {
      signOffParty: (...a: unknown[]) => signOffParty(...a),
      signOffWitness: (...a: unknown[]) => signOffWitness(...a),
      signOffNote: (...a: unknown[]) => signOffNote(...a),
    },
  };
});

import PartySignoff from "./PartySignoff.vue";

const record = (signoff: unknown = null) => ({ id: "r1", body: {} as never, signoff: signoff as never });
const mountSignoff = (partyPresent?: boolean, signoff: unknown = null) =>
  mount(PartySignoff, {
    props: {
      caseId: "c1",
      record: record(signoff),
      busy: false,
      run: (f: () => Promise<unknown>) => f(),
      attendance: partyPresent === undefined ? undefined : partyPresent ? ("present" as const) : ("absent" as const),
    },
    global: { plugins: [makeI18n(), Button], stubs: { SignaturePad: Pad } },
  });

describe("PartySignoff", () => {
  it("takes an uninterested witness's signature, name and ID number when the party was absent", async () => {
    const w = mountSignoff(false);
    // The record says the party was absent: the party cannot sign it.
    expect(w.find(".party-signs").exists()).toBe(false);
    expect(w.find(".by-party").exists()).toBe(false);
    expect(w.text()).toContain("笔录记载当事人不在场，不能由当事人签名");
    expect(w.find(".why-fixed").text()).toContain("当事人不在场");
    await w.find("input.witness-name").setValue("李四");
    await w.find("input.witness-id").setValue("410302199001011234");
    await w.find("input.witness-reason").setValue("当事人经通知未到场");
    expect(w.find(".witness-signs").attributes("disabled")).toBeDefined();
    await draw(w);
    await w.find(".witness-signs").trigger("click");
    await flushPromises();
    expect(signOffWitness).toHaveBeenCalledWith(
      "c1",
      "r1",
      { name: "李四", idNumber: "410302199001011234", reason: "当事人经通知未到场", why: "absent" },
      png,
    );
    expect(signOffParty).not.toHaveBeenCalled();
  });

  it("a present party signs, or refuses and a witness signs for the refusal", async () => {
    const w = mountSignoff(true);
    expect(w.find(".why-fixed").text()).toContain("当事人拒绝签名");
    await w.find("input.party-name").setValue("张三");
    await draw(w);
    await w.find(".party-signs").trigger("click");
    await flushPromises();
    expect(signOffParty).toHaveBeenCalledWith("c1", "r1", "张三", png);
    const v = mountSignoff(true);
    await v.find("input.by-witness").setValue(true);
    await v.find("input.witness-name").setValue("王五");
    await draw(v);
    await v.find(".witness-signs").trigger("click");
    await flushPromises();
    // The reason in words defaults to the reason itself.
    expect(signOffWitness).toHaveBeenLastCalledWith(
      "c1",
      "r1",
      { name: "王五", idNumber: "", reason: "当事人拒绝签名", why: "refused" },
      png,
    );
  });

  it("on a notice, the officers say why the party did not sign when they note it", async () => {
    const w = mountSignoff(undefined);
    await w.find("select.why-choice").setValue("absent");
    await w.find("input.refusal-note").setValue("现场无见证人");
    await w.find(".note-refusal").trigger("click");
    await flushPromises();
    expect(signOffNote).toHaveBeenCalledWith("c1", "r1", "现场无见证人", "absent");
  });

  it("says who signed off and why the party did not", () => {
    expect(mountSignoff(false, { by: "witness", name: "李四", party_did_not_sign: "absent" }).text()).toBe(
      "见证人李四已签名（当事人不在场）",
    );
    expect(mountSignoff(false, { by: "officers_note", note: "无见证人", party_did_not_sign: "absent" }).text()).toBe(
      "已注明当事人不在场",
    );
    expect(mountSignoff(true, { by: "officers_note", note: "拒签", party_did_not_sign: "refused" }).text()).toBe(
      "已注明当事人拒签",
    );
  });
});
