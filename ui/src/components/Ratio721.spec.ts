import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { makeI18n } from "../i18n";

const ratio721 = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return { ...real, api: { ratio721: (s: string | null, from: number, to: number) => ratio721(s, from, to) } };
});

import Ratio721 from "./Ratio721.vue";

const mountRatio = (squad: string | null) => mount(Ratio721, { props: { squad }, global: { plugins: [makeI18n()] } });

describe("Ratio721", () => {
  beforeEach(() => {
    ratio721.mockReset();
    // 2026-12-01 01:30 in Beijing is still 30 November in UTC: the month is Beijing's.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.UTC(2026, 10, 30, 17, 30));
  });
  afterEach(() => vi.useRealTimers());

  it("shows the last 30 days' service : management : enforcement for the squad, counts and percentages", async () => {
    ratio721.mockResolvedValue({ service: 14, management: 4, enforcement: 2 });
    const w = mountRatio("一中队");
    await flushPromises();
    const now = Date.UTC(2026, 10, 30, 17, 30);
    expect(ratio721).toHaveBeenCalledWith("一中队", now - 30 * 86_400_000, now);
    const text = w.text();
    expect(text).toContain("服务 14（70%）");
    expect(text).toContain("管理 4（20%）");
    expect(text).toContain("执法 2（10%）");
    expect(text).toContain("目标 70% : 20% : 10%");
  });

  it("counts another period when chosen", async () => {
    ratio721.mockResolvedValue({ service: 0, management: 0, enforcement: 0 });
    const w = mountRatio(null);
    await flushPromises();
    expect(w.text()).toContain("本期尚无");
    await w.find(".period").setValue("last_month");
    await flushPromises();
    expect(ratio721).toHaveBeenLastCalledWith(null, Date.UTC(2026, 9, 31, 16), Date.UTC(2026, 10, 30, 16));
    await w.find(".period").setValue("this_year");
    await flushPromises();
    expect(ratio721).toHaveBeenLastCalledWith(null, Date.UTC(2025, 11, 31, 16), Date.UTC(2026, 10, 30, 17, 30));
  });
});
