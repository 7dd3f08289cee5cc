import { describe, expect, it } from "vitest";
import { mount } from "@vue/test-utils";
import FileReviewsPanel from "./FileReviewsPanel.vue";
import { makeI18n } from "../i18n";
import type { FileReview } from "../api";

const reviewed = (over: Partial<FileReview> = {}): FileReview => ({
  entry: "ab".repeat(32),
  at: 1_772_409_600_000,
  reviewers: ["孙丽"],
  sheet: {
    state: "read",
    sheet: {
      total: 85,
      grade: "passing",
      grade_zh: "合格",
      comment: "证据链完整，送达回证缺签收时间",
      lines: [
        { zh: "事实清楚", max: 15, score: 15, comment: "" },
        { zh: "文书规范、签名齐全", max: 10, score: 0, comment: "送达回证缺签收时间" },
      ],
    },
  },
  ...over,
});

const mountPanel = (reviews: FileReview[], locale: "zh-CN" | "en" = "zh-CN") =>
  mount(FileReviewsPanel, { props: { reviews }, global: { plugins: [makeI18n(locale)] } });

describe("FileReviewsPanel", () => {
  it("shows each review's score, grade, opinion and the lines that lost points", () => {
    const w = mountPanel([reviewed()]);
    const text = w.text();
    expect(text).toContain("案卷评查");
    expect(text).toContain("孙丽 · 2026-03-02 08:00");
    expect(text).toContain("85 分 · 合格");
    expect(text).toContain("评查意见：证据链完整，送达回证缺签收时间");
    const lost = w.findAll("li.lost");
    expect(lost).toHaveLength(1);
    expect(lost[0].text()).toContain("文书规范、签名齐全");
    expect(lost[0].text()).toContain("0/10");
  });

  it("says a sheet not yet fetched comes with the next sync, and one that does not match is not shown", () => {
    const text = mountPanel([reviewed({ sheet: { state: "pending" } })]).text();
    expect(text).toContain("评查表尚未取回");
    expect(text).not.toContain("分 ·");
    const bad = mountPanel([reviewed({ sheet: { state: "unreadable", why: "not a review" } })]).text();
    expect(bad).toContain("与其签名记录不符");
    expect(bad).not.toContain("下次同步");
  });

  it("words the grade and the list of reviewers in English, the checklist lines as signed", () => {
    const text = mountPanel([reviewed({ reviewers: ["孙丽", "周文"] })], "en").text();
    expect(text).toContain("85 points · Passing");
    expect(text).toContain("孙丽, 周文");
    expect(text).toContain("文书规范、签名齐全");
  });
});
