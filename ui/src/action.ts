// One way for a panel to run an act: busy while it runs, its Chinese error kept, the panel
// reloaded and its parent told once it is done.
import { ref } from "vue";
import { api, ApiError, type Act, type CaseDetail } from "./api";

export function useAction(load: () => Promise<unknown>, changed: () => void) {
  const busy = ref(false);
  const error = ref<string | null>(null);

  async function run(f: () => Promise<unknown>) {
    busy.value = true;
    error.value = null;
    try {
      await f();
      await load();
      changed();
    } catch (e) {
      error.value = message(e);
    } finally {
      busy.value = false;
    }
  }

  return { busy, error, run };
}

/** How an act panel of the case view records its act: signed by who is signed in, then the case
 * view told (it reloads the case and remakes the panels). `then` clears the form once accepted;
 * `send` records the act another way (a delivery with the recipient's signature, say). */
export function useAct(detail: () => CaseDetail, changed: () => void, then?: () => void) {
  const { busy, error, run } = useAction(async () => {}, changed);
  const act = (a: Act, send: (id: string, a: Act) => Promise<unknown> = api.recordAct) =>
    run(async () => {
      await send(detail().header.id, a);
      then?.();
    });
  return { busy, error, act };
}

/** What went wrong, in the words the app gives it. */
export function message(e: unknown): string {
  return ApiError.from(e).message;
}
