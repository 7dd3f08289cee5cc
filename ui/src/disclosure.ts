// 行政处罚结果公开: the text published, with a natural person's name masked (张三 → 张某) and every
// party's ID number and phone removed, as the rules require before they accept a disclosure.
import type { Penalty } from "./api";

/** A party as the case header names it. */
export interface PartyData {
  kind: "person" | "business";
  name: string;
  id_number: string | null;
  phone: string | null;
}

/** Two-character surnames, so 欧阳明 becomes 欧阳某 and not 欧某. */
const COMPOUND = [
  "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文",
  "司徒", "夏侯", "轩辕", "端木", "独孤", "南宫", "西门", "申屠", "澹台", "公冶", "呼延", "万俟",
];

/** A person's name as a disclosure may print it: the surname and 某. */
export function maskName(name: string): string {
  const n = name.trim();
  const surname = COMPOUND.find((s) => n.startsWith(s) && n.length > s.length) ?? [...n][0] ?? "";
  return `${surname}某`;
}

/** 18-digit resident ID numbers and 11-digit mobile numbers, wherever they appear. */
const ID_NUMBER = /(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])/g;
const MOBILE = /(?<![0-9])1[3-9][0-9]{9}(?![0-9])/g;

/** The text with the parties' personal data taken out: natural persons' names masked, ID numbers
 * and phones (the parties', and any that look like one) removed. */
export function redact(text: string, parties: PartyData[]): string {
  let out = text;
  for (const p of parties) {
    for (const v of [p.id_number, p.phone]) {
      const s = v?.trim();
      if (s) out = out.split(s).join("");
    }
  }
  // Longest names first, so 张三丰 is not masked as 张某丰 because of a party 张三.
  const people = parties
    .filter((p) => p.kind === "person" && [...p.name.trim()].length >= 2)
    .sort((a, b) => b.name.trim().length - a.name.trim().length);
  for (const p of people) out = out.split(p.name.trim()).join(maskName(p.name));
  return tidy(out.replace(ID_NUMBER, "").replace(MOBILE, ""));
}

/** Labels left without their value (身份证号, 电话) and brackets left empty are taken out too. */
const BARE_LABEL = /(身份证件号码|公民身份号码|身份证号码|身份证号|统一社会信用代码|联系电话|手机号码|手机|电话)[:：]?\s*(?=[，,、；;）)]|$)/gm;
const EMPTY_BRACKETS = /[（(][\s，,、；;]*[）)]/g;
function tidy(text: string): string {
  return text.replace(BARE_LABEL, "").replace(/[，,、；;]\s*(?=[）)])/g, "").replace(/(?<=[（(])\s*[，,、；;]/g, "").replace(EMPTY_BRACKETS, "");
}

/** A penalty as a decision writes it. */
export function penaltyText(p: Penalty): string {
  switch (p.kind) {
    case "warning":
      return "警告";
    case "fine":
      return `罚款人民币${p.yuan}元`;
    case "confiscate_gains":
      return `没收违法所得人民币${p.yuan}元`;
    case "confiscate_property":
      return `没收非法财物：${p.items}`;
    case "suspend_business":
      return "责令停产停业";
    case "revoke_licence":
      return "暂扣或吊销许可证";
  }
}

/** Whether the text still names a party who is a natural person, or carries an ID number or a
 * phone of any party: what the rules would refuse. */
export function leaks(text: string, parties: PartyData[]): boolean {
  return parties.some(
    (p) =>
      (p.kind === "person" && [...p.name.trim()].length >= 2 && text.includes(p.name.trim())) ||
      [p.id_number, p.phone].some((v) => !!v && v.trim().length >= 4 && text.includes(v.trim())),
  );
}
