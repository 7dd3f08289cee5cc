import { afterEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";

const startRecording = vi.fn();
const recordPiece = vi.fn();
const finishRecording = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return {
    ...real,
    api: {
      startRecording: (...a: unknown[]) => startRecording(...a),
      recordPiece: (...a: unknown[]) => recordPiece(...a),
      finishRecording: (...a: unknown[]) => finishRecording(...a),
    },
  };
});

import Recorder from "./Recorder.vue";

/** The browser's recorder as the page sees it: pieces handed over, then stopped. */
class FakeRecorder {
  static last: FakeRecorder | null = null;
  static refuse = false;
  static isTypeSupported = (t: string) => t === "audio/mp4" || t === "video/mp4";
  state = "inactive";
  ondataavailable: ((e: { data: Blob }) => void) | null = null;
  onstop: (() => void) | null = null;
  constructor(
    public stream: unknown,
    public options?: { mimeType: string },
  ) {
    if (FakeRecorder.refuse) throw new DOMException("The MediaRecorder is unsupported on this platform", "NotSupportedError");
    FakeRecorder.last = this;
  }
  get mimeType() {
    return `${this.options?.mimeType}; codecs=mp4a`;
  }
  start(slice: number) {
    expect(slice).toBe(1000);
    this.state = "recording";
  }
  give(bytes: number[]) {
    this.ondataavailable?.({ data: new Blob([new Uint8Array(bytes)]) });
  }
  stop() {
    this.give([9]);
    this.state = "inactive";
    this.onstop?.();
  }
}

const stopped = vi.fn();
/** The microphone's track: stopped by the page, or ended by the device. */
let track: EventTarget & { kind: string; stop: () => void };
function devices() {
  track = Object.assign(new EventTarget(), { kind: "audio", stop: stopped });
  const getUserMedia = vi.fn(async () => ({ getTracks: () => [track] }));
  Object.defineProperty(navigator, "mediaDevices", { value: { getUserMedia }, configurable: true });
  vi.stubGlobal("MediaRecorder", FakeRecorder);
  return getUserMedia;
}

const mountRecorder = () =>
  mount(Recorder, {
    props: { caseId: "c1", kind: "audio", covers: ["r1"], description: "询问张三同步录音" },
    global: { plugins: [makeI18n(), Button] },
    attachTo: document.body,
  });

describe("Recorder", () => {
  afterEach(() => {
    Object.defineProperty(navigator, "mediaDevices", { value: undefined, configurable: true });
    vi.unstubAllGlobals();
    vi.clearAllMocks();
    FakeRecorder.refuse = false;
  });

  it("records only once the party is told, shows it across the window, writes each piece in order and keeps it", async () => {
    const getUserMedia = devices();
    startRecording.mockResolvedValue("rec-1");
    let held = 0;
    const written: number[][] = [];
    recordPiece.mockImplementation(async (_id: string, piece: Uint8Array) => {
      // The first piece is slow to write: the second still follows it.
      if (!written.length) await new Promise((r) => setTimeout(r, 20));
      written.push([...piece]);
      return (held += piece.length);
    });
    finishRecording.mockResolvedValue("rec-1");
    const w = mountRecorder();
    expect(w.find(".start-recording").attributes("disabled")).toBeDefined();
    await w.find(".told-box").setValue(true);
    await w.find(".start-recording").trigger("click");
    await flushPromises();
    expect(getUserMedia).toHaveBeenCalledWith({ audio: true, video: false });
    expect(startRecording).toHaveBeenCalledWith("c1", {
      kind: "audio",
      mime: "audio/mp4; codecs=mp4a",
      covers: ["r1"],
      description: "询问张三同步录音",
      told: true,
    });
    expect(w.find("[data-test=recording]").text()).toContain("正在录音");
    FakeRecorder.last!.give([1, 2, 3]);
    FakeRecorder.last!.give([4, 5]);
    await w.find(".stop-recording").trigger("click");
    await new Promise((r) => setTimeout(r, 50));
    await flushPromises();
    expect(written).toEqual([[1, 2, 3], [4, 5], [9]]);
    expect(recordPiece.mock.calls.every(([id]) => id === "rec-1")).toBe(true);
    expect(finishRecording).toHaveBeenCalledWith("rec-1");
    expect(w.emitted("kept")).toEqual([["rec-1"]]);
    expect(stopped).toHaveBeenCalled();
    expect(w.find("[data-test=recording]").exists()).toBe(false);
    expect(w.text()).toContain("已保存为证据");
    w.unmount();
  });

  it("says so in Chinese when the tablet cannot record, before anything is started", async () => {
    devices();
    FakeRecorder.refuse = true;
    const w = mountRecorder();
    await w.find(".told-box").setValue(true);
    await w.find(".start-recording").trigger("click");
    await flushPromises();
    expect(w.find("[role=alert]").text()).toContain("本机无法录制");
    expect(startRecording).not.toHaveBeenCalled();
    expect(stopped).toHaveBeenCalled();
    w.unmount();
  });

  it("says a recording was not kept, and that it stays on the tablet, when keeping fails", async () => {
    devices();
    startRecording.mockResolvedValue("rec-4");
    recordPiece.mockResolvedValue(3);
    const { ApiError } = await import("../api");
    finishRecording.mockRejectedValue(new ApiError("no_actor", "须由执法人员签名"));
    const w = mountRecorder();
    await w.find(".told-box").setValue(true);
    await w.find(".start-recording").trigger("click");
    await flushPromises();
    FakeRecorder.last!.give([1, 2, 3]);
    await w.find(".stop-recording").trigger("click");
    await flushPromises();
    const said = w.find("[role=alert]").text();
    expect(said).toContain("未能保存为证据：须由执法人员签名");
    expect(said).toContain("录制仍保存在本机");
    w.unmount();
  });

  it("stops and keeps what was recorded when the microphone goes away", async () => {
    devices();
    startRecording.mockResolvedValue("rec-5");
    recordPiece.mockResolvedValue(3);
    finishRecording.mockResolvedValue("rec-5");
    const w = mountRecorder();
    await w.find(".told-box").setValue(true);
    await w.find(".start-recording").trigger("click");
    await flushPromises();
    FakeRecorder.last!.give([1, 2, 3]);
    track.dispatchEvent(new Event("ended"));
    await flushPromises();
    expect(finishRecording).toHaveBeenCalledWith("rec-5");
    expect(w.find("[role=alert]").text()).toContain("录制中断");
    expect(w.emitted("kept")).toEqual([["rec-5"]]);
    w.unmount();
  });

  it("stops and keeps what was written when a piece cannot be written", async () => {
    devices();
    startRecording.mockResolvedValue("rec-2");
    recordPiece.mockResolvedValueOnce(3).mockRejectedValueOnce(new Error("磁盘已满"));
    finishRecording.mockResolvedValue("rec-2");
    const w = mountRecorder();
    await w.find(".told-box").setValue(true);
    await w.find(".start-recording").trigger("click");
    await flushPromises();
    FakeRecorder.last!.give([1, 2, 3]);
    FakeRecorder.last!.give([4]);
    await new Promise((r) => setTimeout(r, 20));
    await flushPromises();
    expect(w.find("[role=alert]").text()).toContain("录制中断");
    expect(finishRecording).toHaveBeenCalledWith("rec-2");
    expect(w.find("[data-test=recording]").exists()).toBe(false);
    w.unmount();
  });

  it("stops a recorder that hands over nothing and says the tablet cannot record", async () => {
    vi.useFakeTimers();
    devices();
    startRecording.mockResolvedValue("rec-3");
    finishRecording.mockRejectedValue(new Error("输入无效：没有录到任何内容"));
    const w = mountRecorder();
    await w.find(".told-box").setValue(true);
    await w.find(".start-recording").trigger("click");
    await flushPromises();
    expect(w.find("[data-test=recording]").exists()).toBe(true);
    await vi.advanceTimersByTimeAsync(4000);
    await flushPromises();
    expect(finishRecording).toHaveBeenCalledWith("rec-3");
    expect(w.find("[data-test=recording]").exists()).toBe(false);
    expect(w.find("[role=alert]").text()).toContain("本机无法录制");
    expect(w.find("[role=alert]").text()).not.toContain("未能保存");
    vi.useRealTimers();
    w.unmount();
  });
});
