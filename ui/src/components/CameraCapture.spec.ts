import { afterEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";
import CameraCapture from "./CameraCapture.vue";
import { photoName } from "../format";

const mountCamera = () => mount(CameraCapture, { global: { plugins: [makeI18n(), Button] }, attachTo: document.body });

function fakeCamera(getUserMedia: () => Promise<unknown>) {
  Object.defineProperty(navigator, "mediaDevices", { value: { getUserMedia: vi.fn(getUserMedia) }, configurable: true });
  return (navigator.mediaDevices as unknown as { getUserMedia: ReturnType<typeof vi.fn> }).getUserMedia;
}

describe("CameraCapture", () => {
  afterEach(() => {
    Object.defineProperty(navigator, "mediaDevices", { value: undefined, configurable: true });
    vi.restoreAllMocks();
  });

  it("names photos the way cameras do", () => {
    expect(photoName(new Date(2026, 10, 23, 9, 5, 7))).toBe("IMG_20261123_090507.jpg");
  });

  it("opens the back camera, and the shutter hands back a JPEG and lets the camera go", async () => {
    const stopped = vi.fn();
    const getUserMedia = fakeCamera(async () => ({ getTracks: () => [{ stop: stopped }] }));
    vi.spyOn(HTMLMediaElement.prototype, "play").mockResolvedValue(undefined);
    const shown = vi.spyOn(HTMLMediaElement.prototype, "srcObject", "set").mockImplementation(() => {});
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue({ drawImage: vi.fn() } as never);
    vi.spyOn(HTMLCanvasElement.prototype, "toBlob").mockImplementation((done) =>
      done(new Blob([new Uint8Array([0xff, 0xd8, 0xff])], { type: "image/jpeg" })),
    );
    const w = mountCamera();
    await w.find(".take-photo").trigger("click");
    await flushPromises();
    expect(getUserMedia).toHaveBeenCalledWith(
      expect.objectContaining({ audio: false, video: expect.objectContaining({ facingMode: "environment" }) }),
    );
    expect(shown).toHaveBeenCalled();
    const video = w.find("video.live");
    expect(w.find(".shutter").attributes("disabled")).toBeDefined();
    Object.defineProperty(video.element, "videoWidth", { value: 1920 });
    Object.defineProperty(video.element, "videoHeight", { value: 1080 });
    await video.trigger("loadedmetadata");
    await w.find(".shutter").trigger("click");
    await flushPromises();
    const [[file]] = w.emitted("taken") as [[File]];
    expect(file.type).toBe("image/jpeg");
    expect(file.name).toMatch(/^IMG_\d{8}_\d{6}\.jpg$/);
    expect(stopped).toHaveBeenCalled();
    expect(w.find(".camera-view").exists()).toBe(false);
    w.unmount();
  });

  it("says in Chinese when there is no camera or it is refused, and offers the file instead", async () => {
    const none = mountCamera();
    await none.find(".take-photo").trigger("click");
    expect(none.find("[role=alert]").text()).toContain("本机无法使用相机");
    none.unmount();
    fakeCamera(() => Promise.reject(new DOMException("denied", "NotAllowedError")));
    const refused = mountCamera();
    await refused.find(".take-photo").trigger("click");
    await flushPromises();
    expect(refused.find("[role=alert]").text()).toContain("无法打开相机");
    expect(refused.find(".camera-view").exists()).toBe(false);
    refused.unmount();
  });
});
