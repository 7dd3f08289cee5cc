import { describe, expect, it } from "vitest";
import { mayAct, offered } from "./offer";
import { assistant, caseDetail, head, leader, officer, officer2, person, reviewer, step } from "./components/acts.fixture";

describe("offer", () => {
  const d = () => caseDetail("investigation_concluded", [step("notify"), step("legal_review", "须先事先告知")]);

  it("offers a next step to whose job it is by the case's signers, and to no one else", () => {
    expect(offered(d(), [officer], "notify")).toBe(true);
    expect(offered(d(), [head], "notify")).toBe(true);
    expect(offered(d(), [reviewer], "notify")).toBe(false);
    expect(offered(d(), [officer], "decide")).toBe(false);
  });

  it("takes the roles from detail.signers, within the step's roles", () => {
    const narrowed = d();
    narrowed.signers = { ...narrowed.signers, notify: ["head"] };
    expect(offered(narrowed, [officer], "notify")).toBe(false);
    expect(offered(narrowed, [head], "notify")).toBe(true);
    const stepNarrowed = caseDetail("investigation_concluded", [{ ...step("notify"), roles: ["squad_leader"] }]);
    expect(offered(stepNarrowed, [officer], "notify")).toBe(false);
    expect(offered(stepNarrowed, [leader], "notify")).toBe(true);
    expect(offered({ ...d(), signers: undefined }, [officer], "notify")).toBe(false);
  });

  it("offers nothing blocked, nothing with an assistant signing (but 劝阻), nothing to a recused officer", () => {
    expect(offered(d(), [reviewer], "legal_review")).toBe(false);
    expect(mayAct(d(), [reviewer], "legal_review")).toBe(true);
    expect(offered(d(), [officer, assistant], "notify")).toBe(false);
    const advise = caseDetail("registered", [step("advise")]);
    expect(offered(advise, [assistant], "advise")).toBe(true);
    const recused = caseDetail("investigation_concluded", [step("notify")], { state: { recused: ["wang.fang"] } });
    expect(offered(recused, [officer, officer2], "notify")).toBe(false);
    expect(offered(recused, [officer], "notify")).toBe(true);
  });

  it("needs an 执法证 number of an enforcing role", () => {
    expect(offered(d(), [{ ...officer, cert_no: null }], "notify")).toBe(false);
    expect(offered(d(), [person("x", "某", "enforcement_officer")], "notify")).toBe(true);
  });
});
