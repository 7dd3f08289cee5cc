import { describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";
import type { Person } from "../api";

const recordingsLeft = vi.fn();
const keepRecordingLeft = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return {
    ...real,
    api: {
      recordingsLeft: () => recordingsLeft(),
      keepRecordingLeft: (id: string) => keepRecordingLeft(id),
    },
  };
});

import RecordingsLeft from "./RecordingsLeft.vue";

const li: Person = { id: "li.ming", name: "李明", role: "enforcement_officer", cert_no: "1", squad: "一中队" };
const chen: Person = { id: "chen.xie", name: "陈协", role: "assistant", cert_no: null, squad: "一中队" } as unknown as Person;
const left = {
  id: "rec-1", case: "c1", kind: "audio", description: "询问张三同步录音",
  started_at: Date.UTC(2026, 11, 2, 1, 0), last_at: Date.UTC(2026, 11, 2, 1, 12), stopped_at: null, bytes: 123_000,
  by: ["李明", "王芳"],
};

describe("RecordingsLeft", () => {
  it("shows what an interruption left until an officer signs to keep it", async () => {
    recordingsLeft.mockResolvedValue([left]);
    keepRecordingLeft.mockResolvedValue("rec-1");
    const w = mount(RecordingsLeft, { props: { signedIn: [li] }, global: { plugins: [makeI18n(), Button] } });
    await flushPromises();
    const text = w.find("[data-test=recordings-left]").text();
    expect(text).toContain("有未正常结束的录制");
    expect(text).toContain("录音 · 询问张三同步录音 · 2026-12-02 09:00–09:12 · 李明、王芳");
    await w.find(".keep-recording").trigger("click");
    await flushPromises();
    expect(keepRecordingLeft).toHaveBeenCalledWith("rec-1");
    expect(w.find("[data-test=recordings-left]").exists()).toBe(false);
  });

  it("asks for an officer when only an assistant is signed in, and says why a keep failed", async () => {
    recordingsLeft.mockResolvedValue([left]);
    const w = mount(RecordingsLeft, { props: { signedIn: [chen] }, global: { plugins: [makeI18n(), Button] } });
    await flushPromises();
    expect(w.find(".keep-recording").exists()).toBe(false);
    expect(w.text()).toContain("请执法人员先登录再保存");
    await w.setProps({ signedIn: [li] });
    keepRecordingLeft.mockRejectedValue(new Error("没有录到任何内容"));
    await w.find(".keep-recording").trigger("click");
    await flushPromises();
    expect(w.find(".error").text()).toContain("没有录到任何内容");
    expect(w.find("[data-test=recordings-left]").exists()).toBe(true);
    // It can wait: the app goes on.
    await w.find(".later").trigger("click");
    expect(w.find("[data-test=recordings-left]").exists()).toBe(false);
  });
});
