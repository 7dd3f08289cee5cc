import { describe, expect, it } from "vitest";
import { mount } from "@vue/test-utils";
import { Tag } from "vant";
import CaseCard from "./CaseCard.vue";
import { makeI18n } from "../i18n";
import type { CaseRow } from "../api";

const DAY = 86_400_000;
const row = (over: Partial<CaseRow> = {}): CaseRow => ({
  id: "c-1",
  squad: "一中队",
  status: "investigating",
  domain: "environment",
  domain_name: "环境保护",
  violation: "environment.open_air_barbecue",
  violation_name: "露天烧烤",
  source: "complaint",
  address: "解放路12号",
  grid: "XG-03-07",
  parties: "张三",
  summary: "夜间露天烧烤，油烟扰民",
  registered_at: 1_772_409_600_000,
  updated_at: 1_772_409_600_000,
  deadlines: [],
  anomalies: 0,
  people: [],
  ...over,
});

const mountCard = (r: CaseRow, locale: "zh-CN" | "en" = "zh-CN") =>
  mount(CaseCard, { props: { row: r }, global: { plugins: [makeI18n(locale), Tag] } });

describe("CaseCard", () => {
  it("shows status, violation, place and Beijing time in Chinese", () => {
    const text = mountCard(row()).text();
    expect(text).toContain("调查取证");
    expect(text).toContain("露天烧烤");
    expect(text).toContain("解放路12号");
    expect(text).toContain("网格 XG-03-07");
    expect(text).toContain("2026-03-02 08:00");
  });

  it("badges the most urgent deadline, overdue first", () => {
    const w = mountCard(
      row({
        deadlines: [
          { kind: { kind: "decision" }, due: 1_772_409_600_000 + 2 * DAY, urgency: "due_soon" },
          { kind: { kind: "inform_complainant" }, due: 1_772_409_600_000 + 9 * DAY, urgency: "overdue" },
        ],
      }),
    );
    const badge = w.find(".deadline");
    expect(badge.attributes("data-urgency")).toBe("overdue");
    expect(badge.text()).toContain("已逾期：告知投诉举报人");
  });

  it("shows no badge when nothing is near", () => {
    const w = mountCard(
      row({ deadlines: [{ kind: { kind: "decision" }, due: 0, urgency: "pending" }] }),
    );
    expect(w.find(".deadline").exists()).toBe(false);
  });

  it("switches to English", () => {
    expect(mountCard(row(), "en").text()).toContain("Investigating");
  });
});
